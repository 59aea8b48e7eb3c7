"""App speed, measured against references run in the same process.

    .venv/bin/python tests/benchmarks/bench_app.py [--quick]

(a) server-side rerun after a learning-rate slider change (streamlit.testing AppTest): a scene not
    seen before (simulated, figures built) and one already in st.cache_data; target median < 100 ms;
(b) the main figure's size as sent to the browser, for the default scene and every preset
    (target: default < 1 MB);
(c) in Chromium: navigation to the chart drawn (scatter traces in the DOM), median of 5 fresh
    pages, against a minimal Streamlit app with one tiny Plotly chart served the same way (what
    Streamlit + plotly.js alone cost on this machine); target 2.5 s;
(d) playback frame rate of the Rosenbrock preset (150 frames) with "▶▶ Fast": frames Plotly
    animated per second (plotly_animatingframe) and animation frames in which the paths changed
    (requestAnimationFrame + MutationObserver); target ≥ 24 fps;
(e) the Explore tab's rerun when only the sweep's resolution changes (16 … 128 cells a side).
Prints figures and ratios; asserts nothing (speed is not a test).  (c) and (d) need Chromium.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import browser_support as bs  # noqa: E402
import optim_core  # noqa: E402
from viz import figures as fg  # noqa: E402
import page_model as sc  # noqa: E402

ROSENBROCK_URL = ("?surface=rosenbrock&start=-1.2,1&steps=500&run=sgd:lr=0.001&run=momentum:lr=0.001,mu=0.9"
                  "&run=nesterov:lr=0.001,mu=0.9&run=adam:lr=0.05&run=newton:lr=1")
REFERENCE_APP = '''import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="reference", layout="wide")
st.markdown("### Reference")
st.plotly_chart(go.Figure(go.Scatter(x=[0, 1, 2, 3], y=[1, 3, 2, 4], mode="lines+markers")), key="chart")
'''


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


def view_figure(scene: sc.Scene) -> dict:
    """The page's main figure for a scene, built as app.build_view builds it (screen style)."""
    surface = scene.surface_object()
    trajectories = sc.simulate(scene)
    symbols = getattr(fg, "SYMBOLS", ("circle",))
    runs = [fg.RunView(run.label(), fg.PALETTE[i % len(fg.PALETTE)], tr, optim_core.RULES[run.optimizer].adaptive,
                       symbols[i % len(symbols)])
            for i, (run, tr) in enumerate(zip(scene.runs, trajectories))]
    back = fg.background(surface)
    return fg.paths_figure(surface, scene.start, runs, back, steps=scene.steps, show_average=scene.average,
                           show_field=scene.field, height=660, font_size=14, line_width=2.5)


def bench_sizes() -> None:
    print("(b) main figure as sent to the browser (viz.figures.figure_bytes)")
    print(f"    {'scene':<34} {'bytes':>10} {'frames':>7} {'surface PNG':>12} {'build':>10}")
    scenes = [("default (DEFAULT_SCENE)", sc.DEFAULT_SCENE)] + [(f"preset {k}", p.scene) for k, p in sc.PRESETS.items()]
    for name, scene in scenes:
        t0 = time.perf_counter()
        figure = view_figure(scene)
        built = time.perf_counter() - t0
        image = figure["layout"]["images"][0]["source"]
        png_bytes = (len(image) - len("data:image/png;base64,")) * 3 // 4
        print(f"    {name:<34} {fg.figure_bytes(figure):>10,} {fg.frame_count(figure):>7} {png_bytes:>12,} "
              f"{ms(built):>10}")
    try:  # cross-check: the spec the page itself sends (AppTest, default page)
        from streamlit.testing.v1 import AppTest

        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
        at.run()
        specs = [len(chart.proto.spec) for chart in at.get("plotly_chart")]
        print(f"    the default page's st.plotly_chart spec as sent (AppTest): {', '.join(f'{n:,}' for n in specs)} bytes")
    except Exception as error:  # noqa: BLE001
        print(f"    (cross-check with AppTest failed: {error})")
    print("    target: default < 1 MB")


# --- (c) page load ----------------------------------------------------------------------------------------

# Installed before the page's own scripts: the first time (performance.now(), ms from navigation
# start) each milestone is seen, checked on every animation frame.
JS_MILESTONES = f"""(() => {{
    const seen = window.__milestones = {{}};
    const checks = {{
        title: () => document.querySelector('[data-testid=stMain] h1, [data-testid=stMain] h3'),
        chart_div: () => document.querySelector('{bs.CHART}'),
        drawn: () => {{ const gd = document.querySelector('{bs.CHART}');
                        return gd && gd._fullData && gd.querySelector('.scatterlayer .trace'); }},
        script_done: () => {{ const a = document.querySelector('[data-testid=stApp]');
                              return seen.title && a && a.getAttribute('data-test-script-state') === 'notRunning'; }},
        widgets: () => seen.drawn && !document.querySelector('[data-testid=stSkeleton]'),
    }};
    const tick = () => {{
        const now = performance.now();
        for (const [name, check] of Object.entries(checks)) if (!(name in seen) && check()) seen[name] = now;
        if (!('widgets' in seen)) requestAnimationFrame(tick);
    }};
    requestAnimationFrame(tick);
}})();"""


def load_time(context, url: str) -> dict:
    """Seconds from navigation start to each milestone (the page's own clock); "drawn": the chart's
    scatter traces are in the DOM."""
    page = context.new_page()
    try:
        page.add_init_script(JS_MILESTONES)
        page.goto(url, wait_until="commit", timeout=60_000)
        page.wait_for_function("() => window.__milestones && 'widgets' in window.__milestones",
                               timeout=60_000, polling=100)
        return {k: v / 1000 for k, v in page.evaluate("() => window.__milestones").items()}
    finally:
        page.close()


def bench_page_load(browser, app_url: str, ref_url: str, repeats: int) -> None:
    print(f"(c) navigation to chart drawn in Chromium, median of {repeats} fresh pages (apps interleaved)")
    for label, fresh_context in (("cold (new browser context, empty cache)", True),
                                 ("warm (new page, HTTP cache kept)", False)):
        times = {"app": [], "ref": []}
        milestones = {"app": [], "ref": []}
        shared = None if fresh_context else bs.new_context(browser)
        if shared is not None:  # prime the cache and st.cache_data of both apps
            load_time(shared, app_url)
            load_time(shared, ref_url)
        for _ in range(repeats):
            for name, url in (("app", app_url), ("ref", ref_url)):
                context = bs.new_context(browser) if fresh_context else shared
                try:
                    seen = load_time(context, url)
                    milestones[name].append(seen)
                    times[name].append(seen["drawn"])
                finally:
                    if fresh_context:
                        context.close()
        if shared is not None:
            shared.close()
        app, ref = statistics.median(times["app"]), statistics.median(times["ref"])
        print(f"    {label}")
        print(f"      app.py                      median {app:5.2f} s   (all: {', '.join(f'{t:.2f}' for t in times['app'])})")
        print(f"      minimal Streamlit + Plotly  median {ref:5.2f} s   (all: {', '.join(f'{t:.2f}' for t in times['ref'])})")
        print(f"      ratio app / reference       {app / ref:5.2f}")
        for name, title in (("app", "app.py"), ("ref", "reference")):
            parts = "  ".join(f"{k} {statistics.median(m[k] for m in milestones[name]):.2f} s"
                              for k in ("title", "script_done", "chart_div", "drawn", "widgets"))
            print(f"      {title:<10} medians: {parts}")
    print("    target: 2.5 s")


# --- (d) playback ----------------------------------------------------------------------------------------

JS_INSTRUMENT = f"""() => {{
    const gd = document.querySelector('{bs.CHART}');
    const rec = {{frames: [], painted: [], done: null, rafs: 0}};
    window.__bench = rec;
    gd.on('plotly_animatingframe', () => rec.frames.push(performance.now()));
    gd.on('plotly_animated', () => {{ rec.done = performance.now(); }});
    let dirty = false;
    const target = gd.querySelector('.cartesianlayer .subplot.xy .scatterlayer') || gd;
    new MutationObserver(() => {{ dirty = true; }}).observe(target, {{subtree: true, childList: true,
                                                                      attributes: true}});
    const tick = (t) => {{
        rec.rafs += 1;
        if (dirty) {{ rec.painted.push(t); dirty = false; }}
        if (rec.done === null || t < rec.done + 200) requestAnimationFrame(tick);
    }};
    requestAnimationFrame(tick);
    const menu = gd.layout.updatemenus[0].buttons.find(b => b.label.includes('Fast'));
    return {{duration: menu.args[1].frame.duration, frames: (gd._transitionData._frames || []).length}};
}}"""


def rate(stamps) -> float:
    if len(stamps) < 2:
        return float("nan")
    return (len(stamps) - 1) / ((stamps[-1] - stamps[0]) / 1000)


def bench_playback(browser, app_url: str, repeats: int) -> None:
    print("(d) playback of the Rosenbrock preset with '▶▶ Fast' (5 runs × 500 steps)")
    context = bs.new_context(browser)
    try:
        results = []
        for _ in range(repeats):
            page = bs.open_app(context, app_url + ROSENBROCK_URL)
            try:
                info = page.evaluate(JS_INSTRUMENT)
                page.locator(f"{bs.CHART} .updatemenu-button", has_text="Fast").click()
                page.wait_for_function("() => window.__bench.done !== null", timeout=60_000, polling=100)
                page.wait_for_timeout(300)  # let the rAF counter see the last paint
                rec = page.evaluate("() => window.__bench")
                results.append((info, rec))
            finally:
                page.close()
        info = results[0][0]
        print(f"    frames in the figure {info['frames']}, requested frame duration {info['duration']:.1f} ms "
              f"(= {1000 / info['duration']:.0f} fps, {info['frames'] * info['duration'] / 1000:.2f} s in all)")
        for i, (_, rec) in enumerate(results, 1):
            frames, painted = rec["frames"], rec["painted"]
            span = (rec["done"] - frames[0]) / 1000 if frames else float("nan")
            print(f"    run {i}: {len(frames)} frames animated in {span:.2f} s: {rate(frames):5.1f} fps animated, "
                  f"{len(painted)} animation frames with changed paths: {rate(painted):5.1f} fps painted")
        print(f"    median: {statistics.median(rate(r['frames']) for _, r in results):.1f} fps animated, "
              f"{statistics.median(rate(r['painted']) for _, r in results):.1f} fps painted   (target ≥ 24)")
    finally:
        context.close()


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
    parser.add_argument("--only", default="abcde", help="which parts to run, e.g. --only cd")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {_cpus()} CPUs\n")
    if "a" in args.only:
        section("a", bench_rerun, 5 if args.quick else 20)
    if "b" in args.only:
        section("b", bench_sizes)
    if "e" in args.only:
        section("e", bench_sweep_resolution, 3 if args.quick else 7)
    if not set(args.only) & set("cd"):
        return
    if bs.chromium_path() is None:
        print("(c), (d): Chromium not found (apt-get install chromium); skipped")
        return
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        reference = Path(folder) / "reference_app.py"
        reference.write_text(REFERENCE_APP)
        config = REPO / ".streamlit" / "config.toml"
        if config.exists():
            (Path(folder) / ".streamlit").mkdir()
            shutil.copy(config, Path(folder) / ".streamlit" / "config.toml")
        with bs.AppServer(REPO / "app.py", cwd=REPO) as app, bs.AppServer(reference, cwd=folder) as ref:
            with sync_playwright() as playwright:
                browser = bs.launch_chromium(playwright)
                try:
                    if "c" in args.only:
                        section("c", bench_page_load, browser, app.url, ref.url, 3 if args.quick else 5)
                    if "d" in args.only:
                        section("d", bench_playback, browser, app.url, 1 if args.quick else 3)
                finally:
                    browser.close()


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()
