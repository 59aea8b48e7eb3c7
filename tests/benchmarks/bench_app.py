"""App speed, measured against references run in the same process.

    .venv/bin/python tests/benchmarks/bench_app.py [--quick]

(a) server-side rerun after a learning-rate slider change (streamlit.testing AppTest): a scene not
    seen before (simulated, figures built) and one already in st.cache_data; target median < 100 ms;
(b) what the stage is sent (viz.stage.stage_data as JSON), for the default scene and every preset
    (target: default < 1 MB);
(e) the Explore tab's rerun when only the sweep's resolution changes (16 … 128 cells a side).
Prints figures and ratios; asserts nothing (speed is not a test).  What the browser does with it (the
plotting area's share of the screen, playback frame rate, slider latency, first load) is
tests/benchmarks/bench_stage.py.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import optim_core  # noqa: E402
from viz import figures as fg  # noqa: E402
from viz import stage  # noqa: E402
import page_model as sc  # noqa: E402


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


# --- (a) server-side rerun ---------------------------------------------------------------------------


class _SharedScriptCache:
    """AppTest makes a new ScriptCache (so re-parses, re-"magics" and re-compiles app.py) on every run;
    ``streamlit run`` keeps one per server.  Inside this context AppTest shares one, like the server."""

    def __enter__(self):
        from streamlit.runtime.scriptrunner.script_cache import ScriptCache
        from streamlit.testing.v1 import app_test, local_script_runner

        shared = ScriptCache()
        self._modules = (app_test, local_script_runner)
        self._saved = [module.ScriptCache for module in self._modules]
        for module in self._modules:
            module.ScriptCache = lambda: shared
        return self

    def __exit__(self, *exc):
        for module, saved in zip(self._modules, self._saved):
            module.ScriptCache = saved


def _rerun_times(repeats: int, fresh_values_from: int) -> tuple:
    """(first run, [new-scene reruns], [cached-scene reruns]) in seconds."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    started = time.perf_counter()
    at.run()
    first = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"the app raised: {at.exception[0].message}")
    run_id = at.session_state["run_ids"][0]
    optimizer = at.session_state[f"run{run_id}.optimizer"]
    key = f"run{run_id}.{optimizer}.lr"
    current = at.session_state[key]
    # Values no run of this process has used (so no st.cache_data hit): down the lr grid from the current one.
    below = [v for v in optim_core.hyper_spec(optimizer, "lr").options if v < current][::-1]
    fresh_values = below[fresh_values_from:fresh_values_from + repeats]

    def change(value) -> float:
        slider = at.select_slider(key=key)
        t0 = time.perf_counter()
        slider.set_value(value).run()
        elapsed = time.perf_counter() - t0
        if at.exception:
            raise RuntimeError(f"the app raised: {at.exception[0].message}")
        if at.session_state[key] != value:
            raise RuntimeError(f"{key} is {at.session_state[key]}, not {value}")
        return elapsed

    uncached = [change(v) for v in fresh_values]
    cached = [change(fresh_values[i % 2]) for i in range(repeats)]  # two values the app has already run
    return first, uncached, cached


def bench_rerun(repeats: int) -> None:
    print("(a) server-side rerun after a learning-rate change (AppTest: set the first run's lr select_slider, .run())")

    def row(label, times):
        return (f"    {label:<44} median {ms(statistics.median(times))}   max {ms(max(times))}   "
                f"(n={len(times)})")

    with _SharedScriptCache():
        first, uncached, cached = _rerun_times(repeats, 1)
    print(f"    as under `streamlit run` (app.py compiled once); first run of the page {ms(first).strip()}")
    print(row("new scene (simulate + build figures)", uncached))
    print(row("cached scene (st.cache_data hit)", cached))
    first, uncached, cached = _rerun_times(repeats, 1 + repeats)
    print("    AppTest as shipped (re-parses and compiles app.py on every run)")
    print(row("new scene", uncached))
    print(row("cached scene", cached))
    print("    target: median < 100 ms")


def bench_sweep_resolution(repeats: int) -> None:
    """(e) the Explore tab: the rerun when only the sweep's resolution changes (a new batched sweep of the
    Momentum run over lr × mu on the bowl, 300 steps a cell), and when a resolution seen before comes back."""
    from streamlit.testing.v1 import AppTest

    print("(e) server-side rerun when only the Explore sweep's resolution changes (Momentum, lr x mu, 300 steps)")
    with _SharedScriptCache():
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
        at.query_params["run"] = "momentum:lr=0.1,mu=0.9"
        at.run()
        at.session_state["view"] = "Explore"
        at.run()
        at.selectbox(key="sweep_run").set_value(0).run()
        if at.exception:
            raise RuntimeError(f"the app raised: {at.exception[0].message}")
        by_resolution = {}
        for resolution in [16, 24, 32, 48, 64, 96, 128][:max(2, min(repeats, 7))]:
            started = time.perf_counter()
            at.select_slider(key="sweep_resolution").set_value(resolution).run()
            by_resolution[resolution] = time.perf_counter() - started
        cached = []
        for resolution in list(by_resolution)[:3]:
            started = time.perf_counter()
            at.select_slider(key="sweep_resolution").set_value(resolution).run()
            cached.append(time.perf_counter() - started)
        if at.exception:
            raise RuntimeError(f"the app raised: {at.exception[0].message}")
    for resolution, seconds in by_resolution.items():
        print(f"    {resolution:>3} x {resolution:<3} new sweep   {ms(seconds)}")
    print(f"    a resolution seen before (st.cache_data)   median {ms(statistics.median(cached))}")


# --- (b) figure sizes ----------------------------------------------------------------------------------


def stage_payload(scene: sc.Scene) -> dict:
    """What the stage is sent for a scene, built as ui.views.build_view builds it (screen style)."""
    surface = scene.surface_object()
    trajectories = sc.simulate(scene)
    runs = [fg.RunView(run.label(), fg.PALETTE[i % len(fg.PALETTE)], tr, optim_core.RULES[run.optimizer].adaptive)
            for i, (run, tr) in enumerate(zip(scene.runs, trajectories))]
    return stage.stage_data(surface, scene.start, runs, fg.background(surface), steps=scene.steps,
                            show_average=scene.average, show_field=scene.field)


def bench_sizes() -> None:
    print("(b) what the stage is sent (JSON)")
    print(f"    {'scene':<34} {'bytes':>10} {'points':>8} {'surface PNG':>12} {'build':>10}")
    scenes = [("default (DEFAULT_SCENE)", sc.DEFAULT_SCENE)] + [(f"preset {k}", p.scene) for k, p in sc.PRESETS.items()]
    for name, scene in scenes:
        t0 = time.perf_counter()
        data = stage_payload(scene)
        built = time.perf_counter() - t0
        image = data["chart"]["layout"]["images"][0]["source"]
        png_bytes = (len(image) - len("data:image/png;base64,")) * 3 // 4
        points = sum(run["end"] + 1 for run in data["runs"])
        print(f"    {name:<34} {len(json.dumps(data)):>10,} {points:>8} {png_bytes:>12,} {ms(built):>10}")
    print("    target: default < 1 MB")


def section(name: str, function, *args) -> None:
    """Run one part; a failure is printed (with the page's screenshot when there is one), not raised."""
    try:
        function(*args)
    except Exception as error:  # noqa: BLE001 - a benchmark reports and goes on
        print(f"    ({name}) failed: {type(error).__name__}: {str(error).splitlines()[0]}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--only", default="abe", help="which parts to run, e.g. --only ab")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {_cpus()} CPUs\n")
    if "a" in args.only:
        section("a", bench_rerun, 5 if args.quick else 20)
    if "b" in args.only:
        section("b", bench_sizes)
    if "e" in args.only:
        section("e", bench_sweep_resolution, 3 if args.quick else 7)


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()
