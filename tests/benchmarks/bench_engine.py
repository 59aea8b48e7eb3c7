"""Engine speed, measured against references run in the same process.

    .venv/bin/python tests/benchmarks/bench_engine.py

(a) the six rules of the notes × 1000 steps on Rosenbrock with optim_core.run, against
    the same work written with torch.optim and autograd (when torch is installed;
    `pip install torch==2.13.0` uses the CPU wheel that ships with this machine);
(b) Adam over a 64 × 64 grid of (lr, beta1) × 500 steps in one batched optim_core.run (and in
    runner.run_reduced, which keeps outcomes only), against a hand-fused NumPy loop over the same grid
    (no traces, no checks);
(c) the Explore tab's work: a 64 × 64 × 500 Momentum sweep on the bowl and a 100 × 100-start
    × 300-step basin map on Himmelblau (targets 0.5 s and 1 s on a 2-core machine); memory and the
    128 × 128 × 3000 sweep are in bench_memory.py.
Prints figures and ratios; asserts nothing (speed is not a test).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import optim_core  # noqa: E402
import surfaces  # noqa: E402
from optim_core.runner import run_reduced  # noqa: E402

NOTES_RULES = {  # name: hyperparameters, stable on Rosenbrock from (-1.2, 1)
    "sgd": dict(lr=1e-3),
    "momentum": dict(lr=1e-3, mu=0.9),
    "nesterov": dict(lr=1e-3, mu=0.9),
    "adagrad": dict(lr=0.5),
    "rmsprop": dict(lr=1e-2, decay_rate=0.99),
    "adam": dict(lr=1e-2),
}
TORCH_NAMES = {"sgd": "SGD", "momentum": "SGD", "nesterov": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop",
               "adam": "Adam"}


def best_of(repeats, function):
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        function()
        times.append(time.perf_counter() - begin)
    return min(times)


def torch_run(torch, name, hyper, steps):
    """The same 1000 steps with torch.optim and autograd, the way a course notebook writes them."""
    p = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)
    kwargs = dict(lr=hyper["lr"])
    if name in ("momentum", "nesterov"):
        kwargs.update(momentum=hyper["mu"], nesterov=name == "nesterov")
    if name == "rmsprop":
        kwargs.update(alpha=hyper["decay_rate"])
    if name == "adagrad":
        kwargs.update(eps=1e-7)  # ours and the book's; torch's default is 1e-10
    optimizer = getattr(torch.optim, TORCH_NAMES[name])([p], **kwargs)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
        loss.backward()
        optimizer.step()
    return p.detach().numpy()


def fused_adam_grid(surface, lr, beta1, steps, beta2=0.999, eps=1e-8):
    """Adam on every cell at once, written by hand: the least work NumPy can do."""
    x = np.broadcast_to(np.asarray(surface.default_start, dtype=float), lr.shape + (2,)).copy()
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    # full-shape copies: NumPy multiplies same-shape arrays much faster than it broadcasts (..., 1)
    lr, beta1 = (np.ascontiguousarray(np.broadcast_to(a[..., None], x.shape)) for a in (lr, beta1))
    beta1_power, beta2_power = np.ones_like(x), 1.0  # running powers: one multiply, not a pow, per step
    with np.errstate(all="ignore"):
        for _ in range(steps):
            g = surface.grad(x)
            m = g + beta1 * (m - g)
            v = g * g + beta2 * (v - g * g)
            beta1_power = beta1_power * beta1
            beta2_power = beta2_power * beta2
            x = x - lr * (m / (1 - beta1_power)) / (np.sqrt(v / (1 - beta2_power)) + eps)
    return x


def main():
    rosen = surfaces.get("rosenbrock")
    steps = 1000
    print(f"(a) six rules of the notes x {steps} steps on Rosenbrock from (-1.2, 1), best of 5")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
        print("    torch is not installed: only optim_core is timed (pip install torch==2.13.0 to compare)")
    ours_total = theirs_total = 0.0
    for name, hyper in NOTES_RULES.items():
        opt = optim_core.make(name, **hyper)
        ours = best_of(5, lambda: optim_core.run(rosen, opt, steps=steps, tol=None))
        ours_total += ours
        line = f"    {name:9s} optim_core {ours * 1e3:7.2f} ms ({ours / steps * 1e6:5.1f} us/step)"
        if torch is not None:
            theirs = best_of(3, lambda: torch_run(torch, name, hyper, steps))
            theirs_total += theirs
            # Same numbers? torch's Nesterov is the notes' reformulated form (with v scaled by -lr).
            check = optim_core.make(name, **hyper, **({"form": "reformulated"} if name == "nesterov" else {}))
            ours_path = optim_core.run(rosen, check, steps=50, tol=None).xy[-1]
            agree = np.allclose(ours_path, torch_run(torch, name, hyper, 50), rtol=1e-9, atol=1e-12)
            line += (f"   torch.optim {theirs * 1e3:8.2f} ms   ratio {theirs / ours:5.1f}x"
                     f"   same point after 50 steps: {agree}")
        print(line)
    if torch is not None:
        print(f"    all six: optim_core {ours_total * 1e3:.1f} ms, torch.optim {theirs_total * 1e3:.1f} ms, "
              f"optim_core is {theirs_total / ours_total:.1f}x faster (target >= 15x)")

    print("(b) Adam over a 64 x 64 grid of (lr, beta1) x 500 steps on Rosenbrock, best of 7")
    lr = np.logspace(-4, 0, 64)[None, :] * np.ones((64, 1))
    beta1 = np.linspace(0.0, 0.99, 64)[:, None] * np.ones((1, 64))
    grid_steps = 500
    opt = optim_core.make("adam", lr=lr, beta1=beta1)
    fused = best_of(7, lambda: fused_adam_grid(rosen, lr, beta1, grid_steps))
    cells = 64 * 64 * grid_steps
    print(f"    hand-fused NumPy loop            {fused:.3f} s ({cells / fused / 1e6:5.1f} M cell-steps/s)")
    for label, traces in (("positions only (traces=False)", False), ("with every trace", True)):
        ours = best_of(7, lambda: optim_core.run(rosen, opt, steps=grid_steps, tol=None, traces=traces))
        print(f"    optim_core.run, {label:29s} {ours:.3f} s ({cells / ours / 1e6:5.1f} M cell-steps/s)  "
              f"ratio {fused / ours:.2f} of the fused loop (target >= 0.8)")
    ours = best_of(7, lambda: run_reduced(rosen, opt, steps=grid_steps, tol=None))
    print(f"    runner.run_reduced (outcomes only, no path)    {ours:.3f} s "
          f"({cells / ours / 1e6:5.1f} M cell-steps/s)  ratio {fused / ours:.2f} of the fused loop")
    # Same numbers? Over 30 steps (on Rosenbrock, rounding differences grow chaotically over 500).
    tr = optim_core.run(rosen, opt, steps=30, tol=None)
    kept = tr.status != "diverged"  # the fused loop runs on into inf/NaN where ours stops and holds
    same = np.allclose(tr.final_xy[kept], fused_adam_grid(rosen, lr, beta1, 30)[kept], rtol=1e-9, atol=1e-12)
    print(f"    after 30 steps the {kept.sum()} non-diverged cells end where the fused loop does: {same}")

    from optim_core import analysis

    print("(c) the Explore tab's batched work, best of 3")
    bowl, himmelblau = surfaces.get("bowl"), surfaces.get("himmelblau")
    sweep = best_of(3, lambda: analysis.sweep(bowl, "momentum", "lr", np.geomspace(1e-3, 3, 64), "mu",
                                              np.linspace(0, 0.99, 64), steps=500))
    print(f"    64 x 64 x 500 Momentum sweep (lr x mu) on the bowl   {sweep:.3f} s (target < 0.5 s)")
    adam_sweep = best_of(3, lambda: analysis.sweep(rosen, "adam", "lr", np.geomspace(1e-4, 1, 64), "beta1",
                                                   np.linspace(0, 0.99, 64), steps=500))
    print(f"    64 x 64 x 500 Adam sweep (lr x beta1) on Rosenbrock  {adam_sweep:.3f} s")
    basin = best_of(3, lambda: analysis.basins(himmelblau, "momentum", {"lr": 0.01, "mu": 0.9}, nx=100, ny=100,
                                               steps=300))
    found = analysis.basins(himmelblau, "momentum", {"lr": 0.01, "mu": 0.9}, nx=100, ny=100, steps=300).found
    print(f"    100 x 100 starts x 300 steps basin map, Himmelblau   {basin:.3f} s (target < 1 s); "
          f"minima reached: {len(found)} of 4")
    formula_refusals()


def formula_refusals():
    """(d) How fast a typed formula is refused: the hostile texts of tests/test_formula.py, against
    accepting a plain formula in the same run (the tests check only the messages)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from test_formula import HOSTILE

    def refuse_all():
        for text, _ in HOSTILE:
            try:
                surfaces.from_formula(text)
            except ValueError:
                pass

    huge = ["x**2 + y**2 +" * 1000, "x" * 10_000_000, "(" * 10_000_000]
    each = best_of(5, refuse_all) / len(HOSTILE)
    worst = max(best_of(3, lambda text=text: _refused(text)) for text, _ in HOSTILE)
    longest = max(best_of(3, lambda text=text: _refused(text)) for text in huge)
    plain = best_of(5, lambda: surfaces.from_formula("sin(x)*cos(y) + 0.1*(x**2 + y**2)"))
    print(f"(d) formula refusals: {len(HOSTILE)} hostile texts, {each * 1e6:.0f} µs each on average, worst "
          f"{worst * 1e6:.0f} µs (target < 50 ms); 10-million-character texts {longest * 1e6:.0f} µs "
          f"(target < 10 ms); accepting a plain formula {plain * 1e6:.0f} µs (cached after the first time)")


def _refused(text):
    try:
        surfaces.from_formula(text)
    except ValueError:
        return


if __name__ == "__main__":
    main()
