"""Memory and time of the Explore tab's largest sweep, before and after running reductions (issue 14, item 2).

    .venv/bin/python tests/benchmarks/bench_memory.py [--quick]

Each case runs in a fresh child process (so one case's freed memory cannot hide another's peak), twice:
once timed, reading the process's peak resident set (ru_maxrss) against its size after the imports, and
once under tracemalloc for the peak of the bytes NumPy and Python allocated.

  before  the full-trace path the sweeps used until now: ``optim_core.run(..., traces=False)`` keeps every
          position of every cell, (*B, steps + 1, 2) floats, then the gap along every path gives
          steps-to-tol, the final loss and gap
  after   ``analysis.sweep``: ``runner.run_reduced`` keeps running reductions, a chunk of 65 points per cell

Cases: the 128 x 128 x 3000 Momentum sweep (lr x mu) on the bowl, the page's largest basin map (150 x 150
starts x 3000 steps, Momentum on Himmelblau; before, the paths of every start) and a 128 x 128 x 3000 Adam
sweep (lr x beta1) on Rosenbrock.  Targets: no sweep above 300 MB, the Momentum sweep in <= 2 s on a 2-core
machine.  The script checks that before and after give the same numbers, prints figures and ratios, and
asserts nothing else (speed is not a test).  --quick runs 64 x 64 x 1000 instead (a smoke test).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CASES = {
    "momentum": dict(surface="bowl", optimizer="momentum", x_param="lr", x=("geomspace", 1e-3, 3.0),
                     y_param="mu", y=("linspace", 0.0, 0.99), title="Momentum (lr x mu) on the bowl"),
    "basins": dict(surface="himmelblau", optimizer="momentum", hyper={"lr": 0.01, "mu": 0.9},
                   title="Basin map, Momentum (lr 0.01, mu 0.9) from every start on Himmelblau"),
    "adam": dict(surface="rosenbrock", optimizer="adam", x_param="lr", x=("geomspace", 1e-4, 1.0),
                 y_param="beta1", y=("linspace", 0.0, 0.99), title="Adam (lr x beta1) on Rosenbrock"),
}
TOL = 1e-6
BASIN_SIDE = {128: 150, 64: 50}  # the page's largest basin map has 150 x 150 starts


def child(case: str, way: str, n: int, steps: int, traced: bool) -> None:
    """Run one case one way in this (fresh) process and print a JSON line of what it cost and found."""
    import hashlib
    import resource
    import time
    import tracemalloc

    import numpy as np

    sys.path.insert(0, str(ROOT))
    import optim_core
    import surfaces
    from optim_core import analysis

    spec = CASES[case]
    surface = surfaces.get(spec["surface"])
    if case == "basins":
        n = BASIN_SIDE[n]
        analysis.basins(surface, spec["optimizer"], spec["hyper"], nx=2, ny=2, steps=5)  # warm up
    else:
        x = getattr(np, spec["x"][0])(spec["x"][1], spec["x"][2], n)
        y = getattr(np, spec["y"][0])(spec["y"][1], spec["y"][2], n)
        # warm up (first-call costs) on a tiny grid, then take the baseline
        analysis.sweep(surface, spec["optimizer"], spec["x_param"], x[:2], spec["y_param"], y[:2], steps=5, tol=TOL)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if traced:
        tracemalloc.start()
    begin = time.perf_counter()
    if case == "basins":  # before: the paths of every start (tol stops converged runs); after: the map
        if way == "before":
            opt = optim_core.make(spec["optimizer"], **spec["hyper"])
            starts = np.stack(np.meshgrid(np.linspace(*surface.x_range, n), np.linspace(*surface.y_range, n)), -1)
            tr = optim_core.run(surface, opt, start=starts, steps=steps, tol=1e-4, traces=False)
            found = dict(final_xy=tr.final_xy, status=tr.status, stopped_at=tr.stopped_at)
        else:
            basin = analysis.basins(surface, spec["optimizer"], spec["hyper"], nx=n, ny=n, steps=steps)
            found = dict(final_xy=basin.final_xy, status=basin.status, stopped_at=basin.stopped_at)
        found["steps_to_tol"] = np.where(found["status"] == "converged", found["stopped_at"], -1)
    elif way == "before":
        opt = optim_core.make(spec["optimizer"], **{spec["x_param"]: x[None, :], spec["y_param"]: y[:, None]})
        tr = optim_core.run(surface, opt, steps=steps, tol=None, traces=False)
        gap = analysis._gap(surface, tr)
        diverged = tr.status == "diverged"
        found = dict(steps_to_tol=analysis._first_reached(gap, TOL, diverged), final_loss=tr.final_loss,
                     final_gap=gap[..., -1], status=tr.status, stopped_at=tr.stopped_at)
    else:
        result = analysis.sweep(surface, spec["optimizer"], spec["x_param"], x, spec["y_param"], y, steps=steps,
                                tol=TOL)
        found = dict(steps_to_tol=result.steps_to_tol, final_loss=result.final_loss, final_gap=result.final_gap,
                     status=np.where(result.diverged, "diverged", "max_steps"), stopped_at=result.stopped_at)
    seconds = time.perf_counter() - begin
    traced_peak = tracemalloc.get_traced_memory()[1] if traced else None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    found["status"] = found["status"] == "diverged"  # "converged" is not the runner's verdict in a sweep
    digest = {key: hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest() for key, value in found.items()}
    summary = dict(reached=int((found["steps_to_tol"] >= 0).sum()), diverged=int(found["status"].sum()))
    print(json.dumps(dict(seconds=seconds, rss_delta=peak - baseline, traced_peak=traced_peak, digest=digest,
                          **summary)))


def measure(case, way, n, steps, traced):
    out = subprocess.run([sys.executable, __file__, "--child", case, way, str(n), str(steps), str(int(traced))],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    quick = "--quick" in sys.argv
    n, steps = (64, 1000) if quick else (128, 3000)
    print(f"{n} x {n} x {steps} sweeps (tol {TOL:g}); each figure from a fresh process; "
          f"peak RSS is the rise over the process after its imports")
    for case, spec in CASES.items():
        side = BASIN_SIDE[n] if case == "basins" else n
        print(f"{spec['title']}, {side} x {side} x {steps}:")
        rows = {}
        for way in ("before", "after"):
            timed = measure(case, way, n, steps, traced=False)
            traced = measure(case, way, n, steps, traced=True)
            rows[way] = (timed, traced)
            print(f"    {way:6s}  {timed['seconds']:6.2f} s   peak RSS +{timed['rss_delta'] / 1e6:7.1f} MB   "
                  f"tracemalloc peak {traced['traced_peak'] / 1e6:7.1f} MB   "
                  f"({timed['reached']} {'runs converged' if case == 'basins' else 'cells reached tol'}, "
                  f"{timed['diverged']} diverged)")
        (before, before_traced), (after, after_traced) = rows["before"], rows["after"]
        same = before["digest"] == after["digest"]
        print(f"    ratio   time {before['seconds'] / after['seconds']:4.1f}x faster, peak RSS "
              f"{before['rss_delta'] / max(after['rss_delta'], 1):5.1f}x smaller, tracemalloc peak "
              f"{before_traced['traced_peak'] / after_traced['traced_peak']:5.1f}x smaller; "
              f"same numbers bit for bit: {same}")
        target = "" if quick else (f"   targets: <= 300 MB ({'met' if after['rss_delta'] <= 300e6 else 'missed'})"
                                   + (f", <= 2 s ({'met' if after['seconds'] <= 2.0 else 'missed'})"
                                      if case == "momentum" else ""))
        print(f"    after: {after['seconds']:.2f} s, +{after['rss_delta'] / 1e6:.1f} MB{target}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        case, way, n, steps, traced = sys.argv[2:7]
        child(case, way, int(n), int(steps), traced == "1")
    else:
        main()
