"""The stage (the Paths tab's animated chart, ui/stage.py + ui/stage_web/stage.js) in Chromium, for the default
scene and every preset (each opened with its URL, ``page_model.to_query``).

    .venv/bin/python tests/benchmarks/bench_stage.py [--quick] [--only abcd] [--scenes default,rosenbrock]

(a) how much of the screen the chart's plotting area takes: the visible part of Plotly's plotting area
    (``_fullLayout.xaxis._offset/_length``, ``yaxis``) intersected with the viewport, over the viewport's area, as
    the page opens; at 1400 × 1000 and at 1920 × 1080 in projector mode (``projector=1``: the sidebar folds away by
    itself).  Targets: ≥ 35 % and ≥ 45 %.  Also shown: the same once the chart is scrolled to just under
    Streamlit's header;
(b) drawn frames per second during playback at the default speed ("auto": the whole run in 5 s), measured without
    the stage's own counter: for 2 s, a requestAnimationFrame loop draws the overlay canvas scaled down into a 96 × 64
    offscreen canvas and hashes its pixels; a frame whose hash changed is a drawn frame.  Target ≥ 30 fps;
(c) the latency from a key press (ArrowRight or ArrowLeft: one place on the rule's grid) on the first run row's
    learning-rate slider (``.rr-row input[data-name=lr]``, ui/run_rows_web/run_rows.js; 8 presses one way, as a
    student drags it: the first leaves a preset's scene, which reruns the whole page once; the others rerun the
    runs and the chart, an st.fragment, with values not seen before) to the stage's data-revision changing and the
    next animation frame after it; median.  Target ≤ 120 ms.  The first change is the path Python sent beforehand
    for the neighbouring learning rate (revision "…:preview", ui/views.lr_previews); "rerun's data drawn" is when
    the rerun's own data (the same path, with the panels) replaced it;
(d) the first load: navigation start to the stage's data-revision set (a fresh browser context each time: an empty
    HTTP cache), against a one-chart Streamlit page (one st.plotly_chart; served from a temporary folder on another
    port) measured in the same run, interleaved; medians and their ratio.  Target ≤ 1.25.
Prints a table; asserts nothing (a benchmark, not a test).  Needs Chromium.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import browser_support as bs  # noqa: E402
import page_model  # noqa: E402

NORMAL = {"width": 1400, "height": 1000}
PROJECTOR = {"width": 1920, "height": 1080}
TARGETS = {"normal": 0.35, "projector": 0.45, "fps": 30.0, "latency": 120.0, "load": 1.25}
REFERENCE_APP = '''import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="reference", layout="wide")
st.markdown("### Reference")
st.plotly_chart(go.Figure(go.Scatter(x=[0, 1, 2, 3], y=[1, 3, 2, 4], mode="lines+markers")), key="chart")
'''


def scenes() -> list:
    """(name, query string) for the default scene and every preset."""
    out = [("default", "")]
    for key, preset in page_model.PRESETS.items():
        out.append((key, urllib.parse.urlencode(page_model.to_query(preset.scene), doseq=True)))
    return out


def address(base: str, query: str, *extra: str) -> str:
    parts = [part for part in (query, *extra) if part]
    return base + ("?" + "&".join(parts) if parts else "")


def page_in(browser, url: str, viewport: dict):
    """A fresh context and page at ``url`` with the stage drawn; (context, page)."""
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(60_000)
    try:
        page = bs.open_app(context, url, timeout=90_000)
    except Exception:
        context.close()
        raise
    return context, page


# --- (a) the plotting area's share of the screen -------------------------------------------------------------

JS_PLOT_SHARE = f"""() => {{
    const gd = document.querySelector('{bs.STAGE_PLOT}');
    const r = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const left = r.left + xa._offset, top = r.top + ya._offset;
    const w = Math.max(0, Math.min(left + xa._length, innerWidth) - Math.max(left, 0));
    const h = Math.max(0, Math.min(top + ya._length, innerHeight) - Math.max(top, 0));
    return {{share: w * h / (innerWidth * innerHeight), width: xa._length, height: ya._length, top: top}};
}}"""


def plot_share(browser, url: str, viewport: dict, projector: bool) -> tuple:
    """(share as the page opens, share with the chart scrolled under the header, plotting area w × h, its top)."""
    context, page = page_in(browser, url, viewport)
    try:
        if projector:
            try:
                page.wait_for_function(f"() => ({bs.JS_SIDEBAR_ON_SCREEN})().right <= 10", timeout=5_000)
            except Exception:  # noqa: BLE001 - reported as measured
                pass
        page.wait_for_timeout(1_000)  # the sidebar's transition, late widgets
        opened = page.evaluate(JS_PLOT_SHARE)
        bs.scroll_stage_into_view(page)
        scrolled = page.evaluate(JS_PLOT_SHARE)
        return opened["share"], scrolled["share"], (opened["width"], opened["height"]), opened["top"]
    finally:
        context.close()


def bench_share(browser, base: str, chosen: list) -> None:
    print("(a) the plotting area's share of the viewport (as the page opens; scrolled to the chart)")
    print(f"    {'scene':<17} {'1400x1000':>10} {'scrolled':>9} {'area (px)':>12}   "
          f"{'1920x1080 projector':>20} {'scrolled':>9} {'area (px)':>12}")
    for name, query in chosen:
        row = f"    {name:<17}"
        for viewport, projector in ((NORMAL, False), (PROJECTOR, True)):
            try:
                url = address(base, query, "projector=1" if projector else "")
                share, scrolled, (w, h), _ = plot_share(browser, url, viewport, projector)
                target = TARGETS["projector" if projector else "normal"]
                mark = "ok" if share >= target else "LOW"
                row += (f" {share * 100:7.1f} % {mark:<3}" if not projector else f" {share * 100:14.1f} % {mark:<3}")
                row += f" {scrolled * 100:6.1f} % {f'{w:.0f}x{h:.0f}':>12}  "
            except Exception as error:  # noqa: BLE001
                row += f"  failed: {type(error).__name__}: {str(error).splitlines()[0][:60]}"
        print(row)
    print(f"    targets: ≥ {TARGETS['normal'] * 100:.0f} % at 1400 x 1000, ≥ {TARGETS['projector'] * 100:.0f} % "
          "at 1920 x 1080 in projector mode (as the page opens)")


# --- (b) frames drawn during playback --------------------------------------------------------------------------

JS_FRAME_RATE = f"""(ms) => new Promise((resolve) => {{
    const source = document.querySelector('{bs.STAGE_CANVAS}');
    const root = document.querySelector('{bs.STAGE}');
    const small = document.createElement('canvas');
    small.width = 96; small.height = 64;
    const ctx = small.getContext('2d', {{willReadFrequently: true}});
    const stageFrames = Number(root.dataset.frames), head = Number(root.dataset.head);
    let last = null, changed = 0, frames = 0, start = null;
    const tick = (t) => {{
        if (start === null) start = t;
        ctx.clearRect(0, 0, 96, 64);
        ctx.drawImage(source, 0, 0, 96, 64);
        const data = ctx.getImageData(0, 0, 96, 64).data;
        let h = 2166136261;
        for (let i = 0; i < data.length; i++) {{ h ^= data[i]; h = Math.imul(h, 16777619); }}
        frames += 1;
        if (last !== null && h !== last) changed += 1;
        last = h;
        if (t - start < ms) requestAnimationFrame(tick);
        else resolve({{changed, frames, seconds: (t - start) / 1000,
                      stageFrames: Number(root.dataset.frames) - stageFrames,
                      head0: head, head1: Number(root.dataset.head), playing: root.dataset.playing === 'true'}});
    }};
    requestAnimationFrame(tick);
}})"""


def frame_rate(browser, url: str) -> dict:
    context, page = page_in(browser, url, NORMAL)
    try:
        bs.scroll_stage_into_view(page)
        page.locator(f"{bs.STAGE} .stage-play").first.click()  # from the end: from step 0, the whole run in 5 s
        bs.wait_for_head(page, "p && h > 0", timeout=10_000)
        result = page.evaluate(JS_FRAME_RATE, 2_000)
        result["steps"] = page.evaluate(f"() => Number(document.querySelector('{bs.STAGE} .stage-slider').max)")
        return result
    finally:
        context.close()


def bench_frames(browser, base: str, chosen: list, repeats: int) -> None:
    print("(b) drawn frames per second during playback (2 s at 'whole run in 5 s'; the canvas's hash changed)")
    print(f"    {'scene':<17} {'steps':>5} {'drawn fps':>10} {'(runs)':<22} {'rAF fps':>8} {'stage frames/s':>15} "
          f"{'head':>15}")
    for name, query in chosen:
        try:
            results = [frame_rate(browser, address(base, query)) for _ in range(repeats)]
            rates = [r["changed"] / r["seconds"] for r in results]
            median = statistics.median(rates)
            last = results[-1]
            mark = "ok" if median >= TARGETS["fps"] else "LOW"
            print(f"    {name:<17} {last['steps']:>5} {median:6.1f} {mark:<3} "
                  f"{'(' + ', '.join(f'{r:.1f}' for r in rates) + ')':<22} "
                  f"{statistics.median(r['frames'] / r['seconds'] for r in results):8.1f} "
                  f"{statistics.median(r['stageFrames'] / r['seconds'] for r in results):15.1f} "
                  f"{last['head0']:6.1f} -> {last['head1']:6.1f}")
        except Exception as error:  # noqa: BLE001
            print(f"    {name:<17} failed: {type(error).__name__}: {str(error).splitlines()[0][:80]}")
    print(f"    target: ≥ {TARGETS['fps']:.0f} fps on every scene (rAF fps: the browser's own frame rate here)")


# --- (c) learning-rate key press to the stage redrawn ---------------------------------------------------------

JS_LATENCY_WATCH = f"""() => {{
    window.__latency = {{armed: false, down: null, done: null, revision: null}};
    document.addEventListener('keydown', () => {{
        const L = window.__latency;
        if (L.armed) {{ L.down = performance.now(); L.armed = false; }}
    }}, true);
    new MutationObserver(() => {{
        const L = window.__latency, root = document.querySelector('{bs.STAGE}');
        if (L.down !== null && root && L.real === null && root.dataset.revision !== L.revision
            && !root.dataset.revision.endsWith(':preview')) L.real = performance.now();  // the rerun's own data
        if (L.down === null || L.done !== null || L.pending || !root || root.dataset.revision === L.revision) return;
        L.pending = true;
        L.changed = performance.now();
        requestAnimationFrame(() => {{ L.done = performance.now(); }});
    }}).observe(document.body, {{attributes: true, subtree: true, attributeFilter: ['data-revision']}});
    new MutationObserver(() => {{  // where the time goes: the rerun's start and end (stApp's script state)
        const L = window.__latency, app = document.querySelector('[data-testid=stApp]');
        if (L.down === null || !app) return;
        const state = app.getAttribute('data-test-script-state');
        if (state === 'running' && L.started === null) L.started = performance.now();
        if (state === 'notRunning' && L.started !== null && L.finished === null) L.finished = performance.now();
    }}).observe(document.body, {{attributes: true, subtree: true, attributeFilter: ['data-test-script-state']}});
}}"""
JS_LATENCY_ARM = f"""() => {{
    Object.assign(window.__latency, {{armed: true, down: null, done: null, pending: false, changed: null,
                                      started: null, finished: null, real: null,
                                      revision: document.querySelector('{bs.STAGE}').dataset.revision}});
}}"""
# The first run's learning-rate slider in the run rows (ui/run_rows_web/run_rows.js): a range input whose value is
# an index into the rule's grid; ArrowRight / ArrowLeft move it one grid place and send the value at once.
LR_SLIDER = bs.RUN_ROW + " input[data-name='lr']"


def latencies(browser, url: str, changes: int) -> list:
    context, page = page_in(browser, url, NORMAL)
    try:
        page.evaluate(JS_LATENCY_WATCH)
        bs.wait_for_run_rows(page)
        thumb = page.locator(LR_SLIDER).first
        if thumb.count() == 0:
            raise RuntimeError(f"no learning-rate slider ({LR_SLIDER}) on the page")
        at, top = int(thumb.input_value()), int(thumb.get_attribute("max"))
        key = "ArrowLeft" if at + changes > top else "ArrowRight"  # one way, as a student drags the slider
        out = []
        for i in range(changes):
            thumb.focus()
            page.evaluate(JS_LATENCY_ARM)
            page.keyboard.press(key)
            page.wait_for_function("() => window.__latency.done !== null && window.__latency.real !== null",
                                   timeout=60_000, polling=20)
            bs.wait_for_script_done(page, timeout=60_000)
            page.wait_for_timeout(400)  # let the page settle between changes
            found = page.evaluate("() => window.__latency")
            since = {name: (found[name] - found["down"]) if found.get(name) is not None else math.nan
                     for name in ("started", "finished", "changed", "done", "real")}
            out.append(since)
        return out
    finally:
        context.close()


def bench_latency(browser, base: str, chosen: list, changes: int) -> None:
    print(f"(c) key press on run 0's lr slider -> the stage's data-revision changed + the next frame "
          f"({changes} changes)")
    print(f"    {'scene':<17} {'median':>10}   {'min':>7} {'max':>7}   medians from the key press (ms): "
          "rerun started / revision set / script done / rerun's data drawn;   all (ms)")
    for name, query in chosen:
        try:
            found = latencies(browser, address(base, query), changes)
            times = [item["done"] for item in found]
            median = statistics.median(times)
            mark = "ok" if median <= TARGETS["latency"] else "SLOW"
            parts = " / ".join(f"{statistics.median(seen):5.0f}" if seen else "    -"
                               for seen in ([item[key] for item in found if not math.isnan(item[key])]
                                            for key in ("started", "changed", "finished", "real")))
            print(f"    {name:<17} {median:6.0f} ms {mark:<4} {min(times):5.0f} {max(times):7.0f}   {parts}"
                  f"{'':<12}{', '.join(f'{t:.0f}' for t in times)}")
        except Exception as error:  # noqa: BLE001
            print(f"    {name:<17} failed: {type(error).__name__}: {str(error).splitlines()[0][:80]}")
    print(f"    target: median ≤ {TARGETS['latency']:.0f} ms")


# --- (d) first load against a one-chart Streamlit page ---------------------------------------------------------

# Installed before the page's own scripts: when (performance.now(), ms from navigation start) the stage first has a
# data-revision, or the reference page's Plotly chart first has a drawn trace; checked on every animation frame.
JS_LOADED = f"""(() => {{
    window.__loaded = null;
    const tick = () => {{
        const root = document.querySelector('{bs.STAGE}');
        const gd = document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot');
        if ((root && root.dataset.revision) || (gd && gd._fullData && gd.querySelector('.scatterlayer .trace'))) {{
            window.__loaded = performance.now();
            return;
        }}
        requestAnimationFrame(tick);
    }};
    requestAnimationFrame(tick);
}})();"""


def load_time(browser, url: str) -> float:
    """Seconds from navigation start to the chart drawn, in a fresh context (an empty HTTP cache)."""
    context = browser.new_context(viewport=NORMAL)
    try:
        page = context.new_page()
        page.add_init_script(JS_LOADED)
        page.goto(url, wait_until="commit", timeout=90_000)
        page.wait_for_function("() => window.__loaded !== null", timeout=90_000, polling=100)
        return page.evaluate("() => window.__loaded") / 1000
    finally:
        context.close()


def bench_load(browser, base: str, ref: str, chosen: list, repeats: int) -> None:
    print(f"(d) first load: navigation start -> stage's data-revision set, median of {repeats} fresh contexts, "
          "against a one-chart Streamlit page (interleaved)")
    print(f"    {'scene':<17} {'app':>8} {'reference':>10} {'ratio':>7}   app all (s) / reference all (s)")
    load_time(browser, ref)  # the reference's first run (Python imports, plotly)
    for name, query in chosen:
        try:
            load_time(browser, address(base, query))  # the scene's first run on the server (its caches)
            app, reference = [], []
            for _ in range(repeats):
                app.append(load_time(browser, address(base, query)))
                reference.append(load_time(browser, ref))
            ratio = statistics.median(app) / statistics.median(reference)
            mark = "ok" if ratio <= TARGETS["load"] else "SLOW"
            print(f"    {name:<17} {statistics.median(app):6.2f} s {statistics.median(reference):8.2f} s "
                  f"{ratio:6.2f} {mark:<4} {', '.join(f'{t:.2f}' for t in app)} / "
                  f"{', '.join(f'{t:.2f}' for t in reference)}")
        except Exception as error:  # noqa: BLE001
            print(f"    {name:<17} failed: {type(error).__name__}: {str(error).splitlines()[0][:80]}")
    print(f"    target: ratio ≤ {TARGETS['load']:.2f}")


def section(name: str, function, *args) -> None:
    """Run one part; a failure is printed, not raised."""
    try:
        function(*args)
    except Exception as error:  # noqa: BLE001 - a benchmark reports and goes on
        print(f"    ({name}) failed: {type(error).__name__}: {str(error).splitlines()[0]}")
    print(flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--only", default="abcd", help="which parts to run, e.g. --only bc")
    parser.add_argument("--scenes", default="", help="comma-separated: default and/or preset keys (default: all)")
    args = parser.parse_args()
    chosen = scenes()
    if args.scenes:
        wanted = set(args.scenes.split(","))
        chosen = [(name, query) for name, query in chosen if name in wanted]
    print(f"python {sys.version.split()[0]}, {len(os.sched_getaffinity(0))} CPUs; scenes: "
          f"{', '.join(name for name, _ in chosen)}\n")
    if bs.chromium_path() is None:
        print("Chromium not found (apt-get install chromium); nothing measured")
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
                    if "a" in args.only:
                        section("a", bench_share, browser, app.url, chosen)
                    if "b" in args.only:
                        section("b", bench_frames, browser, app.url, chosen, 1 if args.quick else 3)
                    if "c" in args.only:
                        section("c", bench_latency, browser, app.url, chosen, 4 if args.quick else 8)
                    if "d" in args.only:
                        section("d", bench_load, browser, app.url, ref.url, chosen, 2 if args.quick else 5)
                finally:
                    browser.close()


if __name__ == "__main__":
    main()
