"""The app in a real browser: Debian's Chromium driven by Playwright against ``streamlit run app.py``.

The Paths tab's chart is "the stage" (``ui/stage.py``, ``ui/stage_web/stage.js``): a Plotly chart that draws
what does not move (the surface's picture, the whole paths) under a canvas that animates the runs, and a bar of
its own (Restart, Step, Play/Pause, Reveal, a step slider, speed, hide the future, step arrows).  These tests
read its DOM contract (``.stage`` data attributes, the Plotly chart's ``_fullLayout`` and traces, the canvas's
pixels, the bar) and check what a viewer sees, by pixels or by the DOM, never by the mere presence of a button.

Skipped (reason printed) when Chromium or Playwright is missing, unless REQUIRE_BROWSER=1 (CI), where
that is an error.  Screenshots go to tests/browser/screenshots/ (gitignored); the README's pictures
to assets/screenshot.png and assets/playback.png.

    .venv/bin/pytest -q -m browser tests/test_browser.py
"""

from __future__ import annotations

import math
import re
import urllib.parse

import numpy as np
import pytest

import browser_support as bs  # tests/browser_support.py (pytest puts tests/ on sys.path)
import page_model
import surfaces
from optim_core import analysis
from viz import i18n
from viz import stage as stage_view

pytestmark = pytest.mark.browser
sync_playwright = bs.playwright_or_skip()  # skips the module (fails it with REQUIRE_BROWSER=1) without Chromium


BOOK_STEPS = 30  # the default scene's step count: the stage's last step is 30
BOOK_LABELS = ["SGD lr=0.95", "Momentum lr=0.1", "AdaGrad lr=1.5", "Adam lr=0.3"]
GRADIENT_COLOUR, MOMENTUM_COLOUR = "#B00020", "#1F4ED8"  # the step arrows' parts (viz/stage.py PART_COLOURS)


@pytest.fixture
def page_at(context):
    """page_at(url) -> a fresh page (a new Streamlit session) there, the stage drawn; closed after the test."""
    pages = []

    def open_page(url, **options):
        pages.append(bs.open_app(context, url, **options))
        return pages[-1]

    yield open_page
    for page in pages:
        page.close()


@pytest.fixture(scope="module")
def book_paths():
    """The default scene's paths, computed here with the engine (not read from the page): the book's bowl,
    SGD, Momentum, AdaGrad and Adam, 30 steps from (−7, 2)."""
    scene = page_model.DEFAULT_SCENE
    surface = scene.surface_object()
    return [page_model.simulate_run(page_model.path_scene(scene, run), run, surface, record_state=True)
            for run in scene.runs]


def _save(png: bytes, name: str, *, asset: bool = False) -> None:
    bs.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (bs.SCREENSHOTS / name).write_bytes(png)
    if asset:
        bs.ASSETS.mkdir(exist_ok=True)
        (bs.ASSETS / name).write_bytes(png)


def _no_exception(page) -> None:
    assert page.locator("[data-testid=stException]").count() == 0, \
        page.locator("[data-testid=stException]").first.inner_text()


def _sidebar_number(page, label: str) -> float:
    return float(page.locator(f"[data-testid=stSidebar] input[aria-label='{label}']").input_value())


def _bar(page, name: str):
    """A control of the stage's bar: restart, back, play, forward, reveal, slider, speed, hide, arrows."""
    return page.locator(f"{bs.STAGE} .stage-bar .stage-{name}").first


def _record_heads(page, milliseconds: int) -> None:
    """From now on, for ``milliseconds``, note the stage's head on every animation frame (``_recorded``)."""
    page.evaluate(f"""(ms) => {{
        const root = document.querySelector('{bs.STAGE}');
        window.__heads = [];
        const until = performance.now() + ms;
        const look = () => {{ window.__heads.push([Number(root.dataset.head), root.dataset.playing === 'true']);
                              if (performance.now() < until) requestAnimationFrame(look); }};
        look();
    }}""", milliseconds)


def _recorded(page, milliseconds: int) -> list:
    page.wait_for_function("() => window.__heads && window.__heads.length > 0", timeout=5_000)
    page.wait_for_timeout(milliseconds + 50)
    return page.evaluate("() => window.__heads")


def test_default_page_draws_the_chart_and_its_background(page_at, app_url):
    page = page_at(app_url)
    state = bs.stage_state(page)
    paths = bs.path_traces(state)
    assert [trace["name"] for trace in paths] == BOOK_LABELS
    assert state["legend"] == BOOK_LABELS
    assert all(len(trace["x"]) == BOOK_STEPS + 1 for trace in paths), [len(trace["x"]) for trace in paths]
    # at rest, at load: the play head at the end, everything shown
    assert (state["head"], state["playing"], state["hidden"]) == (BOOK_STEPS, False, False), state
    assert all(trace["visible"] is True for trace in paths)
    assert state["step"] == f"step {BOOK_STEPS} of {BOOK_STEPS}"
    # layout.images (layer "below") is drawn as an <image> in the subplot's imagelayer, under the traces.
    assert state["images"] == 1
    image = page.locator(f"{bs.STAGE_PLOT} .imagelayer image").first
    assert (image.get_attribute("href") or image.get_attribute("xlink:href") or "").startswith("data:image/png")
    box, plot = image.bounding_box(), bs.plot_box(page)
    assert box["width"] > 0.9 * plot["width"] and box["height"] > 0.9 * plot["height"], (box, plot)
    # the animated layer draws every run (its trail and marker) over it
    counts = bs.canvas_counts(page, [None], [trace["colour"] for trace in paths])[0]
    assert all(count >= 20 for count in counts), dict(zip(BOOK_LABELS, counts))
    assert page.locator("[data-testid=stMain] h3", has_text="Elongated bowl").count() == 1
    assert page.locator("[data-testid=stMain] table tr").count() == 1 + 4
    _no_exception(page)
    _save(page.screenshot(), "screenshot.png", asset=True)


def test_playback_advances_and_keeps_the_contour(page_at, app_url):
    page = page_at(app_url)
    bs.scroll_stage_into_view(page)
    paths = bs.path_traces(bs.stage_state(page))
    colours = [trace["colour"] for trace in paths]
    assert bs.head(page) == BOOK_STEPS
    _bar(page, "play").click()  # from the end, Play starts again at step 0 ("whole run in 5 s": 6 steps a second)
    bs.wait_for_head(page, "p && h > 0 && h < arg", BOOK_STEPS / 6, timeout=5_000)
    first = bs.stage_state(page)
    picture, drawn = bs.canvas_hash(page), sum(bs.canvas_counts(page, [None], colours, tol=2, alpha=100)[0])
    page.wait_for_timeout(400)
    second = bs.stage_state(page)
    assert second["playing"] and first["head"] < second["head"] < BOOK_STEPS, (first["head"], second["head"])
    assert second["frames"] > first["frames"] + 5, (first["frames"], second["frames"])
    assert bs.canvas_hash(page) != picture, "the animated layer did not change during playback"
    grown = sum(bs.canvas_counts(page, [None], colours, tol=2, alpha=100)[0])
    assert grown > drawn, f"the trails did not grow ({drawn} -> {grown} run-coloured pixels)"
    shown = {f"step {math.floor(second['head'] + d)} of {BOOK_STEPS}" for d in (-1e-3, 1e-3)}  # data-head: 3 decimals
    assert second["step"] in shown, (second["step"], second["head"])

    # Mid-playback: the surface (a picture under the paths) is still there and drawn.
    plot = bs.plot_box(page)
    png = page.screenshot(clip=plot)
    state = bs.stage_state(page)
    assert state["playing"] and state["head"] < BOOK_STEPS, f"playback ended before the screenshot ({state['head']})"
    assert state["images"] == 1
    stage_png = page.locator(f"{bs.STAGE} .stage-main").first.screenshot()
    _save(png, "playback_plot.png")
    _save(stage_png, "playback.png", asset=True)
    stats = bs.pixel_stats(png)
    assert stats["distinct"] > 200, stats  # banded colours and contour lines, not a flat fill
    assert stats["banded"] > 0.6, stats  # cream-to-slate over most of the plot area
    assert stats["slate"] > 0.05, stats  # the outer, bluish bands too
    assert stats["white"] < 0.2, stats  # not a blank white plot
    _no_exception(page)


def _lr_thumb(page, run_id: int | None = None):
    """A run's learning-rate slider (the run rows' ``input[data-name=lr]``, a range input on the rule's grid whose
    aria-valuetext is the shown value; language-proof; the rows are above the tabs).  Without ``run_id``: the first
    run's."""
    return bs.run_control(page, "lr", run_id)


def test_learning_rate_slider_reruns_and_changes_the_chart(page_at, app_url):
    page = page_at(app_url)
    before = bs.stage_state(page)
    table = page.locator("[data-testid=stMain] table").first
    table_before = table.inner_text()
    thumb = _lr_thumb(page, 0)
    assert thumb.get_attribute("aria-valuetext") == "0.95"
    thumb.focus()
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    assert thumb.get_attribute("aria-valuetext") == "0.9"
    page.wait_for_function("(old) => { const t = document.querySelector('[data-testid=stMain] table');"
                           " return t && t.innerText !== old; }", arg=table_before, timeout=30_000)
    page.wait_for_function(f"(old) => {{ const r = document.querySelector('{bs.STAGE}');"
                           f" const gd = document.querySelector('{bs.STAGE_PLOT}');"
                           " return r.dataset.revision !== old && gd._fullData.some(t => t.name === 'SGD lr=0.9')"
                           " && !gd._fullData.some(t => t.name === 'SGD lr=0.95'); }",
                           arg=before["revision"], timeout=30_000)
    bs.wait_for_script_done(page)
    bs.wait_for_stage(page)
    after = bs.stage_state(page)
    assert after["revision"] != before["revision"]
    old, new = bs.path_traces(before), bs.path_traces(after)
    assert [t["name"] for t in new] == ["SGD lr=0.9"] + BOOK_LABELS[1:]
    assert after["legend"] == ["SGD lr=0.9"] + BOOK_LABELS[1:]
    assert (new[0]["x"], new[0]["y"]) != (old[0]["x"], old[0]["y"]), "SGD's path did not change"
    assert [(t["x"], t["y"]) for t in new[1:]] == [(t["x"], t["y"]) for t in old[1:]]  # the other runs did not
    assert "SGD lr=0.9" in table.inner_text() and "SGD lr=0.95" not in table.inner_text()
    assert "sgd%3Alr%3D0.9&" in page.url or "sgd:lr=0.9&" in page.url  # the URL follows
    _no_exception(page)


def test_clicking_the_chart_sets_the_start_point(page_at, app_url):
    page = page_at(app_url)
    assert (_sidebar_number(page, "start x"), _sidebar_number(page, "start y")) == (-7.0, 2.0)
    bs.scroll_stage_into_view(page)
    plot, state = bs.plot_box(page), bs.stage_state(page)
    (x_lo, x_hi), (y_lo, y_hi) = state["xaxis"]["range"], state["yaxis"]["range"]
    # 80 % right, 20 % down of the plotting area: open surface, away from every path.
    px, py = plot["x"] + 0.8 * plot["width"], plot["y"] + 0.2 * plot["height"]
    want_x, want_y = x_lo + 0.8 * (x_hi - x_lo), y_hi - 0.2 * (y_hi - y_lo)
    pixel_x, pixel_y = (x_hi - x_lo) / plot["width"], (y_hi - y_lo) / plot["height"]  # one pixel, in data units
    page.mouse.move(px - 30, py - 30)
    page.mouse.move(px, py, steps=5)
    bs.after_rerun(page, lambda: page.mouse.click(px, py))
    page.wait_for_function("() => document.querySelector(\"[data-testid=stSidebar] input[aria-label='start x']\")"
                           ".value !== '-7'", timeout=60_000)
    bs.wait_for_script_done(page, timeout=60_000)
    bs.wait_for_new_revision(page, state["revision"])
    start_x, start_y = _sidebar_number(page, "start x"), _sidebar_number(page, "start y")
    assert abs(start_x - want_x) <= 2 * pixel_x + 5e-3 and abs(start_y - want_y) <= 2 * pixel_y + 5e-3, \
        ((start_x, start_y), (want_x, want_y))
    # the chart draws its start marker there and every path starts there (float32)
    after = bs.stage_state(page)
    start = next(t for t in after["traces"] if t["name"] == "start")
    assert abs(start["x"][0] - want_x) <= 2 * pixel_x and abs(start["y"][0] - want_y) <= 2 * pixel_y, \
        (start["x"], start["y"], (want_x, want_y))
    for trace in bs.path_traces(after):
        assert abs(trace["x"][0] - start["x"][0]) < 1e-5 and abs(trace["y"][0] - start["y"][0]) < 1e-5, trace["name"]
    _no_exception(page)


def test_shared_url_reproduces_the_scene_and_bad_urls_warn(page_at, app_url):
    page = page_at(app_url + "?surface=rosenbrock&start=-1.2,1&steps=200&run=adam:lr=0.05")
    assert "Rosenbrock" in page.locator("[data-testid=stMain] h3").first.inner_text()
    state = bs.stage_state(page)
    assert [t["name"] for t in bs.path_traces(state)] == ["Adam lr=0.05"]
    assert state["legend"] == ["Adam lr=0.05"]
    assert not any(t["name"].startswith(("SGD", "Momentum", "AdaGrad")) for t in state["traces"])
    trace = bs.path_traces(state)[0]
    assert (round(trace["x"][0], 5), round(trace["y"][0], 5)) == (-1.2, 1.0)
    assert state["step"].endswith(" of 200"), state["step"]
    assert page.locator("[data-testid=stMain] table tr").count() == 1 + 1
    assert (_sidebar_number(page, "start x"), _sidebar_number(page, "start y"), _sidebar_number(page, "steps")) \
        == (-1.2, 1.0, 200)
    assert page.locator("[data-testid=stAlert]").count() == 0
    _no_exception(page)
    _save(page.screenshot(), "shared_url.png")

    page = page_at(app_url + "?steps=abc&surface=nope")
    alerts = page.locator("[data-testid=stAlert], [data-testid=stAlertContainer]")
    assert alerts.count() >= 2
    text = " ".join(page.locator("[data-testid=stAlert]").all_inner_texts())
    assert "steps='abc'" in text and "surface='nope'" in text, text
    assert "Elongated bowl" in page.locator("[data-testid=stMain] h3").first.inner_text()  # the defaults
    _no_exception(page)
    _save(page.screenshot(), "malformed_url.png")


def test_explore_sweep_draws_the_theory_and_a_clicked_cell_becomes_a_run(page_at, app_url):
    """The Explore tab in the browser: a Momentum lr × mu sweep on the bowl is drawn with the theory's
    stability boundary and optimum on it, and clicking a cell adds that setting as a run."""
    page = page_at(app_url + "?run=momentum:lr=0.1,mu=0.9")
    page.get_by_role("tab", name="Explore").click()
    page.wait_for_selector("text=Theory on this quadratic", timeout=60_000)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot')).some(gd => gd._fullData &&"
        " gd._fullData.some(t => t.type === 'heatmap') &&"
        " gd._fullData.some(t => t.name === 'theory optimum (lr*, μ*)'))", timeout=60_000)
    bs.wait_for_script_done(page, timeout=60_000)
    _save(page.screenshot(), "explore_sweep.png")
    # the invisible marker on the cell nearest the plot's centre, in viewport pixels (the chart scrolled into view)
    page.locator(".js-plotly-plot").filter(has=page.locator(".heatmaplayer")).first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    cell = page.evaluate("""() => {
        const gd = Array.from(document.querySelectorAll('.js-plotly-plot'))
            .find(g => g._fullData && g._fullData.some(t => t.type === 'heatmap'));
        const cells = gd._fullData.find(t => t.name === 'cells');
        const r = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
        const cx = xa._offset + xa._length / 2, cy = ya._offset + ya._length / 2;
        let best = null, distance = Infinity;
        for (let i = 0; i < cells.x.length; i++) {
            const px = xa._offset + xa.l2p(cells.x[i]), py = ya._offset + ya.l2p(cells.y[i]);
            const d = (px - cx) ** 2 + (py - cy) ** 2;
            if (d < distance) { distance = d; best = [r.left + px, r.top + py]; }
        }
        return best;
    }""")
    page.mouse.move(cell[0] - 20, cell[1] - 20)
    page.mouse.move(cell[0], cell[1], steps=5)
    # Plotly reports a click on the point it is hovering: wait for the cell's hover label first
    page.wait_for_function("() => Array.from(document.querySelectorAll('.hoverlayer .hovertext'))"
                           ".some(e => e.textContent.includes('click to add this setting'))", timeout=30_000)
    page.mouse.click(cell[0], cell[1])
    page.wait_for_selector("text=to the Paths tab", timeout=60_000)  # "Added Momentum lr=… to the Paths tab."
    bs.wait_for_script_done(page, timeout=60_000)
    message = page.locator("[data-testid=stAlert]").filter(has_text="to the Paths tab").first.inner_text()
    assert message.startswith("Added Momentum lr="), message
    assert page.url.count("run=momentum") == 2, page.url  # the new run is in the scene (and its link)
    _no_exception(page)


# --- issue 15, items 3 and 4: playback a class can follow -----------------------------------------------------

def test_play_after_pause_resumes(page_at, app_url):
    """Issue 8, item 13 and issue 15, item 3: Play after Pause goes on from where the head stood (not from 0);
    Restart goes back to step 0 and plays."""
    query = urllib.parse.urlencode(page_model.to_query(page_model.PRESETS["rosenbrock"].scene), doseq=True)
    page = page_at(app_url + "?" + query)
    bs.scroll_stage_into_view(page)
    play = _bar(page, "play")
    last = bs.head(page)
    assert last >= 100, f"the Rosenbrock preset should run long ({last} steps)"
    play.click()  # from the end: from step 0 ("whole run in 5 s")
    bs.wait_for_head(page, "p && h >= 0.3 * arg && h < 0.8 * arg", last, timeout=20_000)
    play.click()  # ❚❚ Pause
    paused = bs.head(page)
    assert not bs.playing(page)
    assert play.inner_text().strip() == i18n.t("▶ Play", "en"), play.inner_text()
    page.wait_for_timeout(500)
    assert bs.head(page) == paused, f"Pause did not stop the play head ({paused} -> {bs.head(page)})"
    assert 0 < paused < last, paused
    picture = bs.canvas_hash(page)
    page.wait_for_timeout(300)
    assert bs.canvas_hash(page) == picture, "the picture moves while paused"

    _record_heads(page, 400)
    play.click()
    heads = _recorded(page, 400)
    moving = [h for h, on in heads if on]
    assert moving, f"Play did not play ({heads[:10]})"
    assert min(moving) >= paused - 1e-6, \
        f"Play after Pause restarted: paused at step {paused}, then the head went to {min(moving)}"
    assert max(moving) > paused + 1, f"the head did not go on from {paused} ({moving[-5:]})"
    assert play.inner_text().strip() == i18n.t("❚❚ Pause", "en"), play.inner_text()

    _record_heads(page, 500)
    _bar(page, "restart").click()
    heads = _recorded(page, 500)
    assert min(h for h, _ in heads) < 1, f"↺ Restart did not go back to step 0 (heads {heads[:10]} …)"
    assert heads[-1][1] and heads[-1][0] > 0, f"↺ Restart does not play from step 0 ({heads[-5:]})"
    bs.not_broken(page, "after Play, Pause, Play, Restart")


def test_step_buttons_move_one_whole_step_and_pause(page_at, app_url):
    """Issue 15, item 3: ◀ Step / Step ▶ move the head by exactly one whole step and pause; during playback
    they stop at a whole step."""
    page = page_at(app_url)
    bs.scroll_stage_into_view(page)
    back, forward = _bar(page, "back"), _bar(page, "forward")
    assert bs.head(page) == BOOK_STEPS
    picture = bs.canvas_hash(page)
    for button, want in ((back, 29), (back, 28), (forward, 29)):
        button.click()
        bs.wait_for_head(page, "Math.abs(h - arg) < 1e-9 && !p", want, timeout=5_000)
        state = bs.stage_state(page)
        assert state["step"] == f"step {want} of {BOOK_STEPS}", state["step"]
        now = bs.canvas_hash(page)
        assert now != picture, f"the picture did not change when the head moved to step {want}"
        picture = now
    page.wait_for_timeout(400)
    assert bs.head(page) == 29 and not bs.playing(page), "a step went on playing"

    bs.set_head(page, 19)
    _bar(page, "play").click()  # from 19: plays on (6 steps a second)
    bs.wait_for_head(page, "p && h > arg", 19.2, timeout=5_000)
    forward.click()
    stopped = bs.wait_for_head(page, "!p", None, timeout=5_000)
    assert stopped == int(stopped) and 19 < stopped < BOOK_STEPS, f"Step ▶ during playback stopped at {stopped}"
    back.click()
    bs.wait_for_head(page, "Math.abs(h - arg) < 1e-9 && !p", stopped - 1, timeout=5_000)
    page.wait_for_timeout(300)
    assert bs.head(page) == stopped - 1 and not bs.playing(page)
    bs.not_broken(page, "after stepping")


def test_step_slider_scrubs(page_at, app_url):
    """The step slider under the chart: a drag to its middle puts the head there and pauses; a click at 30 % of
    its length moves the head to about 30 % of the steps."""
    page = page_at(app_url)
    bs.scroll_stage_into_view(page)
    box = _bar(page, "slider").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] - 4, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, y, steps=10)
    page.mouse.up()
    page.wait_for_timeout(200)
    assert abs(bs.head(page) - BOOK_STEPS / 2) <= 2 and not bs.playing(page), \
        f"dragged to the slider's middle, the head is at {bs.head(page)}"
    page.mouse.click(box["x"] + 0.3 * box["width"], y)
    page.wait_for_timeout(200)
    assert abs(bs.head(page) - 0.3 * BOOK_STEPS) <= 2, f"clicked at 30 %, the head is at {bs.head(page)}"
    assert bs.stage_state(page)["hidden"], "mid-way with hide the future on, the future is shown"


def test_keyboard_on_the_chart(page_at, app_url):
    """Issue 15, item 3: with the chart focused, Space plays and pauses, → and ← step, Home restarts."""
    page = page_at(app_url)
    bs.scroll_stage_into_view(page)
    chart = page.locator(f"{bs.STAGE} .stage-chart").first
    chart.focus()
    assert page.evaluate("() => document.activeElement && document.activeElement.classList.contains('stage-chart')")
    for _ in range(14):
        page.keyboard.press("ArrowLeft")
    bs.wait_for_head(page, "Math.abs(h - 16) < 1e-9 && !p", timeout=5_000)
    page.keyboard.press("ArrowRight")
    bs.wait_for_head(page, "Math.abs(h - 17) < 1e-9 && !p", timeout=5_000)
    scrolled = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollTop")
    page.keyboard.press(" ")
    bs.wait_for_head(page, "p && h > 17", timeout=5_000)
    assert page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollTop") == scrolled, \
        "Space scrolled the page as well"
    page.keyboard.press(" ")
    paused = bs.wait_for_head(page, "!p", timeout=5_000)
    assert 17 < paused < BOOK_STEPS, paused
    page.keyboard.press("ArrowRight")  # from between two steps: to the next whole step
    whole = bs.wait_for_head(page, "!p && Math.abs(h - Math.round(h)) < 1e-9", timeout=5_000)
    assert whole == math.floor(paused) + 1, (paused, whole)
    page.keyboard.press("ArrowRight")
    bs.wait_for_head(page, "Math.abs(h - arg) < 1e-9 && !p", min(whole + 1, BOOK_STEPS), timeout=5_000)
    page.keyboard.press("ArrowLeft")
    bs.wait_for_head(page, "Math.abs(h - arg) < 1e-9 && !p", min(whole + 1, BOOK_STEPS) - 1, timeout=5_000)
    _record_heads(page, 400)
    page.keyboard.press("Home")
    heads = _recorded(page, 400)
    assert min(h for h, _ in heads) < 1 and heads[-1][1], \
        f"Home did not restart and play ({heads[:5]} … {heads[-3:]})"
    bs.not_broken(page, "after the keyboard")


def _near_segment(point, a, b) -> float:
    """The distance from ``point`` to the segment a–b (pixels)."""
    p, a, b = (np.asarray(v, dtype=float) for v in (point, a, b))
    d = b - a
    t = 0.0 if not d.any() else float(np.clip(np.dot(p - a, d) / np.dot(d, d), 0, 1))
    return float(np.hypot(*(p - (a + t * d))))


def test_hide_the_future_while_paused_and_reveal(page_at, app_url, book_paths):
    """Issue 15, item 4: with "hide the future" on (the default), paused mid-way, the canvas draws SGD's path
    up to the play head and nothing of what comes after (the hand-computed points ahead are free of its
    colour) and the chart's whole paths are hidden; Reveal shows them."""
    page = page_at(app_url)
    bs.scroll_stage_into_view(page)
    assert _bar(page, "hide").is_checked(), "hide the future should be on by default"
    assert _bar(page, "reveal").is_disabled(), "Reveal is offered while nothing is hidden"
    sgd = book_paths[0].xy  # SGD zig-zags rightwards: what is ahead lies right of what is behind
    drawn = bs.path_traces(bs.stage_state(page))[0]
    assert np.allclose(drawn["x"], sgd[:, 0], atol=1e-5) and np.allclose(drawn["y"], sgd[:, 1], atol=1e-5)
    k = 12
    bs.set_head(page, k)
    state = bs.stage_state(page)
    paths = bs.path_traces(state)
    assert state["hidden"] and not state["playing"], state
    assert [trace["visible"] for trace in paths] == [False] * 4, [trace["visible"] for trace in paths]
    assert not _bar(page, "reveal").is_disabled()
    colour = paths[0]["colour"]
    pixels = bs.to_pixels(state, sgd)
    behind = pixels[:k + 1]
    marker = pixels[k]
    ahead = [pixels[i] for i in range(k + 1, len(pixels))]
    ahead += [tuple((np.asarray(pixels[i]) + np.asarray(pixels[i + 1])) / 2) for i in range(k + 1, len(pixels) - 1)]
    ahead = [p for p in ahead if math.dist(p, marker) > 12  # the marker and the segment it is on
             and min(_near_segment(p, behind[i], behind[i + 1]) for i in range(k)) > 6]
    assert len(ahead) >= 10, f"too few points ahead to check ({len(ahead)})"

    def boxes(points, r):
        return [(x - r, y - r, x + r + 1, y + r + 1) for x, y in points]

    seen_behind = [c[0] for c in bs.canvas_counts(page, boxes(behind, 3), [colour], tol=12, alpha=60)]
    seen_ahead = [c[0] for c in bs.canvas_counts(page, boxes(ahead, 3), [colour], tol=12, alpha=20)]
    assert sum(1 for count in seen_behind if count) >= 0.8 * len(behind), \
        f"SGD's path so far is not drawn: run-coloured pixels at its points {seen_behind}"
    assert not any(seen_ahead), ("the future is drawn: run-coloured pixels ahead of the marker "
                                 f"{[(p, c) for p, c in zip(ahead, seen_ahead) if c]}")

    # Reveal: the whole paths (the chart's faint traces) are shown; the pixels ahead change in the screenshot
    plot = bs.plot_box(page)
    hidden_png = page.screenshot(clip=plot)
    _bar(page, "reveal").click()
    page.wait_for_function(f"() => {{ const gd = document.querySelector('{bs.STAGE_PLOT}');"
                           " return gd._fullData.filter(t => t.meta === 'path').every(t => t.visible === true); }",
                           timeout=5_000)
    page.wait_for_timeout(200)
    state = bs.stage_state(page)
    assert not state["hidden"] and state["head"] == k and not state["playing"], state
    assert _bar(page, "reveal").is_disabled()
    shown_png = page.screenshot(clip=plot)
    _, _, hidden_rows = bs.decode_png(hidden_png)
    _, _, shown_rows = bs.decode_png(shown_png)
    xo, yo = state["xaxis"]["offset"], state["yaxis"]["offset"]
    changed = 0
    for x, y in ahead:
        cx, cy = int(round(x - xo)), int(round(y - yo))
        difference = max((sum(abs(a - b) for a, b in zip(hidden_rows[j][i], shown_rows[j][i]))
                          for j in range(max(cy - 1, 0), min(cy + 2, len(shown_rows)))
                          for i in range(max(cx - 1, 0), min(cx + 2, len(shown_rows[0])))), default=0)
        changed += difference > 30
    assert changed >= 0.5 * len(ahead), f"Reveal drew SGD's path at only {changed} of {len(ahead)} points ahead"
    _save(shown_png, "revealed_plot.png")
    bs.not_broken(page, "after Reveal")


def test_step_arrows_show_the_parts_of_the_update(page_at, app_url, book_paths):
    """Issue 15, item 4: "step arrows" on, paused mid-way, the canvas draws the Momentum run's current update as
    its momentum part (#1F4ED8) from the point and its gradient part (#B00020) after it (the parts computed
    here with optim_core.analysis); off, neither colour is drawn."""
    assert (stage_view.PART_COLOURS["gradient"], stage_view.PART_COLOURS["history"]) == (GRADIENT_COLOUR,
                                                                                          MOMENTUM_COLOUR)
    page = page_at(app_url)
    bs.scroll_stage_into_view(page)
    colours = [MOMENTUM_COLOUR, GRADIENT_COLOUR]
    momentum = book_paths[1]
    parts = analysis.run_parts(momentum)
    assert list(parts.parts) == ["momentum", "gradient"] and parts.history == "momentum", list(parts.parts)
    history, gradient = parts.parts["momentum"], parts.parts["gradient"]
    paused = 6
    bs.set_head(page, paused)
    assert bs.canvas_counts(page, [None], colours, tol=10, alpha=200)[0] == [0, 0], "arrows drawn while off"

    revision = bs.revision(page)
    bs.after_rerun(page, lambda: _bar(page, "arrows").click())
    bs.wait_for_new_revision(page, revision)
    assert "arrows=1" in page.url, page.url
    assert _bar(page, "arrows").is_checked()
    assert bs.head(page) == paused and not bs.playing(page), "the rerun moved the play head"
    state = bs.stage_state(page)  # the chart's geometry after the rerun
    scale = state["xaxis"]["length"] / (state["xaxis"]["range"][1] - state["xaxis"]["range"][0])  # px per unit
    # a mid-way update whose two parts are both long enough to see (the marker covers 8 px round the point)
    k = max(range(3, BOOK_STEPS - 3),
            key=lambda i: min(np.hypot(*history[i]) * scale - 8, np.hypot(*gradient[i]) * scale))
    assert min(np.hypot(*history[k]) * scale - 8, np.hypot(*gradient[k]) * scale) >= 6, k
    start = momentum.xy[k]
    a, b, c = bs.to_pixels(state, [start, start + history[k], start + history[k] + gradient[k]])

    def around(p, q, margin=4):
        return (min(p[0], q[0]) - margin, min(p[1], q[1]) - margin, max(p[0], q[0]) + margin + 1,
                max(p[1], q[1]) + margin + 1)

    bs.set_head(page, k)
    (momentum_part, _), (_, gradient_part) = bs.canvas_counts(page, [around(a, b), around(b, c)], colours, tol=10,
                                                              alpha=200)
    assert momentum_part >= 5 and gradient_part >= 5, \
        (f"update {k + 1} of Momentum: {momentum_part} pixels of the momentum part's colour from {a} to {b}, "
         f"{gradient_part} of the gradient part's from {b} to {c}")
    legend = page.locator(f"{bs.STAGE} .stage-legend").inner_text()
    assert "gradient part" in legend and "momentum part" in legend, legend
    _save(page.locator(f"{bs.STAGE} .stage-chart").first.screenshot(), "arrows.png")

    revision = bs.revision(page)
    bs.after_rerun(page, lambda: _bar(page, "arrows").click())
    bs.wait_for_new_revision(page, revision)
    assert "arrows=1" not in page.url, page.url
    bs.set_head(page, k)
    assert bs.canvas_counts(page, [None], colours, tol=10, alpha=200)[0] == [0, 0], "arrows still drawn when off"
    bs.not_broken(page, "after the step arrows")


# --- issue 8: what only a browser sees ------------------------------------------------------------------------

# Never on the page, whatever a user does: Python's words for a failure, or the app's last-line fallback.
CJK = re.compile(r"[\u4e00-\u9fff]")
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1920, "height": 1080}


def _surface_label(surface_id: str, lang: str) -> str:
    """The Surface box's label of a surface, as the page shows it in ``lang``."""
    return i18n.surface_name(surface_id, surfaces.get(surface_id).title, lang)


def _preset_label(key: str, lang: str) -> str:
    return i18n.t(page_model.PRESETS[key].title, lang)


def test_switching_the_language_mid_session_never_breaks(page_at, app_url):
    """Issue 8, item 1: Language → 中文, then every kind of widget and tab; then back to English.  The stage's
    own words follow the language."""
    page = page_at(app_url)
    tabs = page.get_by_role("tab")
    stale = []  # select boxes still showing the other language's label (the crash's cause): reported last

    def check(where: str, lang: str) -> None:
        bs.not_broken(page, where)
        labels = tabs.all_inner_texts()
        assert len(labels) >= 4 and all(bool(CJK.search(t)) == (lang == "zh") for t in labels), (where, labels)
        for key in ("surface", "preset"):  # a box shows the label of the id it holds, in the page's language
            shown = bs.shown_value(page, key)
            if bool(CJK.search(shown)) != (lang == "zh"):
                stale.append(f"{where}: the {key} box shows {shown!r}")

    def check_stage(where: str, lang: str) -> None:
        bs.wait_for_stage(page)
        want = stage_view.template("↺ Restart", lang)
        try:
            page.wait_for_function(f"(want) => document.querySelector('{bs.STAGE} .stage-restart')"
                                   ".textContent.trim() === want", arg=want, timeout=10_000)
        except Exception:  # playwright's TimeoutError: said below
            pass
        restart = _bar(page, "restart").inner_text().strip()
        assert restart == want, f"{where}: the stage's Restart reads {restart!r}, not {want!r}"

    def nudge_lr(key: str) -> None:
        thumb = _lr_thumb(page)
        before = thumb.get_attribute("aria-valuetext")
        revision = bs.revision(page)
        thumb.focus()
        bs.after_rerun(page, lambda: page.keyboard.press(key))
        assert _lr_thumb(page).get_attribute("aria-valuetext") != before, "the learning-rate slider did not move"
        bs.wait_for_new_revision(page, revision)

    walk = (("zh", "中文", "ArrowRight", "rosenbrock", "saddle"),
            ("en", "English", "ArrowLeft", "himmelblau", "book"))
    for lang, language, arrow, surface, preset in walk:
        bs.choose(page, "lang", language)
        check(f"after Language → {language}", lang)
        check_stage(f"after Language → {language}", lang)
        bs.after_rerun(page, lambda: tabs.nth(1).click())  # Explore
        check(f"{language}: after clicking the Explore tab", lang)
        bs.after_rerun(page, lambda: tabs.nth(0).click())  # Paths
        check(f"{language}: after clicking the Paths tab", lang)
        check_stage(f"{language}: after clicking the Paths tab", lang)
        nudge_lr(arrow)
        check(f"{language}: after moving a learning-rate slider", lang)
        bs.choose(page, "surface", _surface_label(surface, lang))
        check(f"{language}: after changing the surface", lang)
        bs.choose(page, "preset", _preset_label(preset, lang))
        check(f"{language}: after picking a preset", lang)
        check_stage(f"{language}: after picking a preset", lang)
        heading = page.locator("[data-testid=stMain] h3").first.inner_text().strip()
        assert heading == _surface_label(page_model.PRESETS[preset].scene.surface, lang)
    assert not stale, "\n".join(stale)


def _wait_folded(page, timeout: float = 5_000) -> dict:
    try:
        page.wait_for_function(f"() => ({bs.JS_SIDEBAR_ON_SCREEN})().right <= 10", timeout=timeout, polling=50)
    except Exception:  # playwright's TimeoutError: reported by the caller's assertion
        pass
    return bs.sidebar_on_screen(page)


def test_projector_mode_survives_a_preset_and_a_surface_change(page_at, app_url):
    """Issue 8, item 2: projector mode is the teacher's, not the scene's.  Opening in projector mode folds the
    sidebar away once; opened again, it stays open through a preset, a surface change and a reset."""
    page = page_at(app_url + "?projector=1")
    sidebar = _wait_folded(page)
    assert sidebar["right"] <= 10, f"projector mode did not fold the sidebar away: {sidebar}"
    bs.open_sidebar(page)

    def still_on(where: str) -> None:
        bs.not_broken(page, where)
        assert bs.widget(page, "projector").locator("input[type=checkbox]").is_checked(), \
            f"{where}: the Projector toggle went off"
        query = page.evaluate("() => location.search")
        assert "projector=1" in query, f"{where}: projector=1 left the URL ({query})"
        bs.wait_for_stage(page)
        assert page.evaluate(f"() => document.querySelector('{bs.STAGE}').classList.contains('projector')"), \
            f"{where}: the stage is not in projector mode"
        assert bs.sidebar_on_screen(page)["width"] > 200, f"{where}: the sidebar folded away again"

    still_on("on load, the sidebar opened again")
    bs.choose(page, "preset", _preset_label("saddle", "en"))
    still_on("after picking a preset")
    bs.choose(page, "surface", _surface_label("himmelblau", "en"))
    still_on("after changing the surface")
    bs.after_rerun(page, lambda: bs.widget(page, "reset_runs").locator("button").filter(visible=True).first.click())
    still_on("after Reset runs")


JS_STAGE_GEOMETRY = f"""() => {{
    const box = e => {{ const r = e.getBoundingClientRect();
                        return {{left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width}}; }};
    const root = document.querySelector('{bs.STAGE}');
    return {{root: box(root), chart: box(root.querySelector('.stage-chart')), viewport: innerWidth,
             plotWidth: document.querySelector('{bs.STAGE_PLOT}')._fullLayout.width}};
}}"""


def test_projector_mode_folds_the_sidebar_and_leaves_no_strip(browser, app_url):
    """Issue 8, item 3: in projector mode the sidebar folds away by itself and leaves no strip; the stage takes
    the freed width; opened again (») the sidebar pushes the stage aside without covering it or pushing the chart
    off the screen; folded again («) it leaves no strip and the chart is at least as large as beside the open
    sidebar."""
    # its own context: Streamlit remembers a collapsed sidebar in the browser's storage
    context = browser.new_context(viewport=PROJECTOR)
    context.set_default_timeout(30_000)
    try:
        page = bs.open_app(context, app_url + "?projector=1")
        sidebar = _wait_folded(page)
        assert sidebar["right"] <= 10, f"the folded sidebar still covers {sidebar['width']:.0f} px: {sidebar}"
        folded = page.evaluate(JS_STAGE_GEOMETRY)
        assert folded["root"]["width"] >= PROJECTOR["width"] - 160, f"the stage does not take the width: {folded}"
        _save(page.screenshot(), "projector.png")

        bs.open_sidebar(page)
        page.wait_for_timeout(500)
        opened = page.evaluate(JS_STAGE_GEOMETRY)
        sidebar = bs.sidebar_on_screen(page)
        assert opened["chart"]["left"] >= sidebar["right"] - 1, f"the sidebar covers the chart: {sidebar}, {opened}"
        assert opened["chart"]["right"] <= opened["viewport"] + 1, \
            f"the chart runs off the screen beside the open sidebar: {opened}"

        page.locator("[data-testid=stSidebar]").hover()  # the collapse button shows on hover
        page.locator("[data-testid=stSidebarCollapseButton] button").click()
        sidebar = _wait_folded(page, 3_000)
        assert sidebar["right"] <= 10, f"the collapsed sidebar still covers {sidebar['width']:.0f} px: {sidebar}"
        page.wait_for_timeout(500)
        collapsed = page.evaluate(JS_STAGE_GEOMETRY)
        assert collapsed["root"]["width"] > opened["root"]["width"] + 50, (opened, collapsed)
        assert collapsed["chart"]["width"] >= opened["chart"]["width"] - 1, \
            f"the chart shrank when the sidebar folded: {opened['chart']} -> {collapsed['chart']}"
        bs.not_broken(page, "projector mode, sidebar collapsed")
        _save(page.screenshot(), "projector_collapsed.png")
    finally:
        context.close()


def test_the_chart_follows_the_sidebar(browser, app_url):
    """Issue 8, item 3 on a projector where the chart's width is what limits it (1280 × 1024): opening the sidebar
    again lays the chart out beside it, inside the stage; folding it widens the chart again."""
    context = browser.new_context(viewport={"width": 1280, "height": 1024})
    context.set_default_timeout(30_000)
    try:
        page = bs.open_app(context, app_url + "?projector=1")
        assert _wait_folded(page)["right"] <= 10
        page.wait_for_timeout(500)
        folded = page.evaluate(JS_STAGE_GEOMETRY)
        bar = page.evaluate(f"() => document.querySelector('{bs.STAGE} .stage-bar').getBoundingClientRect().bottom")
        assert bar <= 1024, f"the playback bar ends at {bar:.0f} px, below the window (the chart was sized too tall)"
        bs.open_sidebar(page)
        page.wait_for_timeout(500)
        opened = page.evaluate(JS_STAGE_GEOMETRY)
        assert opened["chart"]["right"] <= opened["root"]["right"] + 1, \
            f"beside the open sidebar the chart runs past the stage: {opened['chart']} in {opened['root']}"
        page.locator("[data-testid=stSidebar]").hover()
        page.locator("[data-testid=stSidebarCollapseButton] button").click()
        assert _wait_folded(page, 3_000)["right"] <= 10
        page.wait_for_timeout(500)
        collapsed = page.evaluate(JS_STAGE_GEOMETRY)
        assert collapsed["chart"]["width"] > opened["chart"]["width"] + 50, \
            f"the chart did not widen when the sidebar folded: {opened['chart']} -> {collapsed['chart']}"
        assert abs(collapsed["chart"]["width"] - folded["chart"]["width"]) <= 2, (folded["chart"], collapsed["chart"])
    finally:
        context.close()


def test_no_developer_chrome_for_viewers(page_at, app_url):
    """Issue 8, item 4: no Deploy button, no developer entries in the main menu."""
    page = page_at(app_url)
    deploy = page.locator("[data-testid=stAppDeployButton]").filter(visible=True)
    assert deploy.count() == 0, "the Deploy button is shown"
    menu = page.locator("[data-testid=stMainMenu] button").filter(visible=True)
    if menu.count():
        menu.first.click()
        page.locator("[data-testid=stMainMenuPopover]").wait_for(state="visible", timeout=5_000)
        entries = {line.strip() for line in page.locator("[data-testid=stMainMenuPopover]").inner_text().splitlines()}
        page.keyboard.press("Escape")
        developer = entries & {"Rerun", "Auto rerun", "Settings", "Clear cache", "Clear caches"}
        assert not developer, f"the main menu offers developer entries {sorted(developer)} (all: {sorted(entries)})"


JS_PHONE_LAYOUT = f"""() => {{
    const box = e => {{ const r = e.getBoundingClientRect();
                        return {{left: r.left, top: r.top, right: r.right, bottom: r.bottom}}; }};
    const root = document.querySelector('{bs.STAGE}');
    const bar = Array.from(root.querySelectorAll('.stage-bar > *')).map(e => ({{name: e.className, box: box(e)}}));
    const panels = root.querySelector('.stage-panels .stage-plot');
    const titles = panels && panels._fullLayout
        ? Array.from(panels.querySelectorAll('.infolayer .annotation, .infolayer .g-xtitle,'
                                             + ' .infolayer [class*=ytitle]'))
            .filter(t => t.textContent.trim()).map(t => ({{text: t.textContent, box: box(t)}})) : [];
    const main = document.querySelector('[data-testid=stMain]');
    const wide = Array.from(main.querySelectorAll('[data-testid], .stage, .stage *'))
        .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
        .map(e => (e.getAttribute('data-testid') || e.className) + ' ' + Math.round(e.getBoundingClientRect().right)
             + ' px');
    const table = main.querySelector('table');
    let summary = null;
    if (table) {{
        const cells = table.rows[0].cells, last = cells[cells.length - 1];
        const own = table.closest('[data-testid=stElementContainer]') || table.parentElement;
        let scroller = null;
        for (let e = table.parentElement; e; e = e.parentElement) {{
            const c = getComputedStyle(e);
            if (['auto', 'scroll'].includes(c.overflowX) && e.scrollWidth > e.clientWidth + 1) {{
                scroller = e;
                break;
            }}
            if (e === own) break;
        }}
        summary = {{last: last.textContent, lastBox: box(last),
                    scroller: scroller && {{box: box(scroller), scrollWidth: scroller.scrollWidth,
                                            clientWidth: scroller.clientWidth}}}};
    }}
    const chart = box(root.querySelector('.stage-chart'));
    return {{viewport: innerWidth, root: box(root), chart,
             panels: panels ? box(panels) : null, panelsBelow: panels ? box(panels).top >= chart.bottom - 1 : null,
             bar, titles, summary, mainScrollWidth: main.scrollWidth, mainClientWidth: main.clientWidth,
             wide: wide.slice(-8)}};
}}"""


def _overlap(a: dict, b: dict) -> bool:
    return min(a["right"], b["right"]) - max(a["left"], b["left"]) > 0.5 and \
        min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 0.5


def _inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return inner["left"] >= outer["left"] - slack and inner["right"] <= outer["right"] + slack and \
        inner["top"] >= outer["top"] - slack and inner["bottom"] <= outer["bottom"] + slack


def test_phone_layout(browser, app_url):
    """Issue 8, item 18: at 390 × 844 the contour plot is usable (at least 300 px wide, drawn to scale), the
    bar's controls leave the step slider free and stay on screen, the side panels go below the chart with their
    titles whole, the summary table is whole or scrolls by itself, and the page does not scroll sideways."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    context.set_default_timeout(30_000)
    try:
        _phone_layout(bs.open_app(context, app_url))
    finally:
        context.close()


def _phone_layout(page) -> None:
    bs.scroll_stage_into_view(page)
    page.wait_for_timeout(300)
    _save(page.screenshot(), "phone.png")
    bs.not_broken(page, "phone")
    plot, state = bs.plot_box(page), bs.stage_state(page)
    layout = page.evaluate(JS_PHONE_LAYOUT)
    assert plot["width"] >= 300, f"the contour plot is {plot['width']:.0f} × {plot['height']:.0f} px on a phone"
    (x_lo, x_hi), (y_lo, y_hi) = state["xaxis"]["range"], state["yaxis"]["range"]
    aspect = (y_hi - y_lo) / (x_hi - x_lo)
    if 1 / 3 <= aspect <= 3:  # drawn to scale, its height follows from its width
        assert abs(plot["height"] - plot["width"] * aspect) <= 2, (plot, aspect)
    slider = next(item["box"] for item in layout["bar"] if "stage-slider" in item["name"])
    for item in layout["bar"]:
        assert item["box"]["left"] >= -1 and item["box"]["right"] <= layout["viewport"] + 1, \
            f"the bar's {item['name']!r} is off screen: {item['box']}"
        if "stage-slider" not in item["name"]:
            assert not _overlap(item["box"], slider), f"{item['name']!r} covers the step slider: {item['box']}"
    assert layout["panels"] is not None and layout["panelsBelow"], f"the side panels are not below the chart: {layout}"
    for title in layout["titles"]:
        assert _inside(title["box"], layout["panels"]), \
            f"panel title {title['text']!r} is cut off: {title['box']} outside the panels {layout['panels']}"
    summary = layout["summary"]
    assert summary is not None, "no summary table"
    scrolls = summary["scroller"] is not None and summary["scroller"]["box"]["right"] <= layout["viewport"] + 1
    whole = summary["lastBox"]["left"] >= -1 and summary["lastBox"]["right"] <= layout["viewport"] + 1
    assert scrolls or whole, (f"the summary table's last column {summary['last']!r} ends at "
                              f"{summary['lastBox']['right']:.0f} px on a {layout['viewport']} px screen and "
                              "the table does not scroll on its own")
    assert layout["mainScrollWidth"] <= layout["mainClientWidth"] + 1, \
        (f"the page scrolls sideways: {layout['mainScrollWidth']} px of content in {layout['mainClientWidth']} px; "
         f"wider than the screen: {layout['wide']}")


JS_RUN_COLOURS = f"""() => {{
    const badges = Array.from(document.querySelectorAll('{bs.RUN_ROW}')).map(row => {{
        const badge = row.querySelector('.rr-badge'), select = row.querySelector('select[data-name=optimizer]');
        return {{id: row.dataset.run, number: badge.textContent.trim(),
                 colour: getComputedStyle(badge).backgroundColor,
                 optimizer: select.options[select.selectedIndex].textContent}};
    }});
    const swatches = Array.from(document.querySelectorAll('{bs.STAGE} .stage-legend .stage-legend-item'))
        .filter(item => item.querySelector('.stage-swatch'))
        .map(item => ({{label: item.textContent,
                        colour: getComputedStyle(item.querySelector('.stage-swatch')).backgroundColor}}));
    return {{badges, swatches}};
}}"""


def _run_colours(page) -> tuple:
    """(badges, swatches, paths): each run row's badge (id, number, colour, the row's optimizer), each legend swatch (label,
    colour) and each whole-path trace (name, colour), in order, colours as the browser computes them; and the
    number of canvas pixels in exactly each path's colour."""
    found = page.evaluate(JS_RUN_COLOURS)
    paths = [{"name": t["name"], "colour": bs.canonical_colour(page, t["colour"]), "hex": t["colour"]}
             for t in bs.path_traces(bs.stage_state(page))]
    counts = bs.canvas_counts(page, [None], [p["hex"] for p in paths])[0]
    for path, count in zip(paths, counts):
        path["pixels"] = count
    return found["badges"], found["swatches"], paths


def _check_colours(page, badges, swatches, paths, where: str) -> None:
    assert badges, f"{where}: no run badge (.rr-row .rr-badge in the run rows) on the page"
    assert len(badges) == len(swatches) == len(paths), (where, badges, swatches, paths)
    for badge, swatch, path in zip(badges, swatches, paths):
        assert swatch["label"] == path["name"], (where, swatch, path)
        optimizer = badge["optimizer"]
        assert path["name"].startswith(optimizer + " "), (where, optimizer, path["name"])
        assert badge["colour"] == swatch["colour"] == path["colour"], \
            (f"{where}: run {badge['number']}'s badge is {badge['colour']}, its legend swatch {swatch['colour']}, "
             f"its path {path['name']!r} {path['colour']}")
        assert path["pixels"] >= 20, f"{where}: the canvas has {path['pixels']} pixels of {path['name']}'s colour"


def test_run_colours_are_exact_and_stable(page_at, app_url):
    """Issue 8, item 11: each run row's badge is drawn in exactly its run's colour, as are its legend swatch,
    its path and its trail and marker on the canvas; a run keeps its colour when an earlier one is removed."""
    page = page_at(app_url)
    badges, swatches, paths = _run_colours(page)
    _check_colours(page, badges, swatches, paths, "default page")
    assert len(badges) >= 4
    before = {badge["id"]: badge["colour"] for badge in badges}
    second = badges[1]["id"]
    revision = bs.revision(page)
    bs.open_run_panel(page, second)
    remove = bs.run_row(page, second).locator("button.rr-remove")
    bs.after_rerun(page, remove.click)
    bs.wait_for_new_revision(page, revision)
    after_badges, after_swatches, after_paths = _run_colours(page)
    assert second not in {b["id"] for b in after_badges}, "run 2 was not removed"
    _check_colours(page, after_badges, after_swatches, after_paths, "after removing run 2")
    now = {badge["id"]: badge["colour"] for badge in after_badges}
    for badge in badges[2:4]:
        assert now[badge["id"]] == before[badge["id"]], \
            f"run {badge['id']} changed colour when run 2 was removed: {before[badge['id']]} -> {now[badge['id']]}"
    bs.not_broken(page, "after removing run 2")


def _has_markup(locator) -> int:
    """How many elements Markdown would make (emphasis, links, images) are inside, not counting the
    anchor link Streamlit adds to every heading."""
    return locator.evaluate("e => Array.from(e.querySelectorAll('em, strong, b, i, a, img'))"
                            ".filter(m => !m.closest('[data-testid=stHeaderActionElements]')).length")


def test_user_text_is_shown_literally(page_at, app_url):
    """Issue 8, item 6: a typed formula, a parser error and a URL value are shown as typed, never as
    Markdown."""
    page = page_at(app_url)
    bs.choose(page, "surface", i18n.t("✎ your own formula f(x, y)", "en"))
    box = bs.widget(page, "formula_text").locator("input")

    def enter(text: str) -> None:
        box.fill(text)
        bs.after_rerun(page, lambda: box.press("Enter"))

    formula = "sin(x)*cos(y) + 0.1*(x**2+y**2)"
    enter(formula)
    heading = page.locator("[data-testid=stMain] h3").first
    shown = heading.inner_text()
    assert "".join(formula.split()) in "".join(shown.split()), f"the heading reads {shown!r} for {formula!r}"
    assert _has_markup(heading) == 0, f"the heading is rendered as Markdown: {heading.inner_html()}"

    errors = page.locator("[data-testid=stSidebar] [data-testid=stAlert]")  # under the formula box
    enter("__import__('os')")
    assert errors.count() == 1, "no error for __import__('os')"
    error = errors.first
    assert "__import__" in error.inner_text() and _has_markup(error) == 0, \
        f"the error is rendered as Markdown: {error.inner_html()}"

    enter("2x + y")
    assert errors.count() == 1, "no error for 2x + y"
    error = errors.first
    assert "*" in error.inner_text() and _has_markup(error) == 0, \
        f"the hint lost its '*' or is rendered as Markdown: {error.inner_text()!r}"
    bs.not_broken(page, "after typing formulas")

    value = "[x](http://example.com)"
    page = page_at(app_url + "?surface=bowl&steps=" + urllib.parse.quote(value))
    warning = page.locator("[data-testid=stAlert]").filter(has_text="steps")
    assert warning.count() >= 1, "no warning for steps=" + value
    assert value in warning.first.inner_text().replace("\u2060", "") and _has_markup(warning.first) == 0, \
        f"the URL's value is rendered as Markdown in the warning: {warning.first.inner_html()}"

    # a run's label in the stage's legend is text (its hyperparameters' names and option values, here with "_")
    run = page_model.RunSpec.of("adam", lr=0.3, eps_placement="book", bias_correction=False)
    page = page_at(app_url + "?run=" + urllib.parse.quote(page_model.run_to_text(run)))
    legend = page.locator(f"{bs.STAGE} .stage-legend")
    assert legend.inner_text().split("\n")[0].strip() == run.label(), (legend.inner_text(), run.label())
    assert _has_markup(legend) == 0, f"the legend is rendered as markup: {legend.inner_html()}"
    labels = legend.locator(".stage-legend-item > span:not(.stage-swatch)")
    assert labels.first.evaluate("e => e.children.length") == 0 and labels.first.text_content() == run.label()


# The runs: their rows above the tabs (the run rows component's .rr-row, ui/run_rows_web/run_rows.js).
JS_RUN_COUNT = f"() => document.querySelectorAll('{bs.RUN_ROW}').length"
JS_SWEEP_POINT = """() => {
    const gd = document.querySelector('.st-key-sweep_chart .js-plotly-plot');
    if (!gd || !gd._fullData) return null;
    const traces = gd._fullData.filter(t => t.type === 'scatter' && t.visible !== false);
    const line = traces.find(t => t.name === 'measured') || traces.find(t => (t.mode || '').includes('markers'));
    if (!line) return null;
    const finite = [];
    for (let i = 0; i < line.x.length; i++)
        if (Number.isFinite(+line.x[i]) && Number.isFinite(+line.y[i])) finite.push(i);
    if (!finite.length) return null;
    const i = finite[Math.floor(finite.length / 2)];
    const r = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    return [r.left + xa._offset + xa.l2p(xa.c2l(line.x[i])), r.top + ya._offset + ya.l2p(ya.c2l(line.y[i])),
            line.name, i];
}"""


def test_clicking_a_1d_sweep_point_adds_a_run(page_at, app_url):
    """Issue 8, item 7: Explore → Sweep with the SGD run (a 1-D sweep over lr): a clicked point becomes
    a run, as a clicked heatmap cell does."""
    page = page_at(app_url)
    runs = page.evaluate(JS_RUN_COUNT)
    assert runs == 4, f"{runs} runs on the default page"
    bs.after_rerun(page, lambda: page.get_by_role("tab", name="Explore").click())
    page.wait_for_selector(".st-key-sweep_run", timeout=60_000)
    assert bs.shown_value(page, "sweep_run").endswith("SGD lr=0.95"), bs.shown_value(page, "sweep_run")
    none = i18n.t("(none: a 1-D sweep)", "en")
    if bs.shown_value(page, "sweep_y.sgd") != none:
        bs.choose(page, "sweep_y.sgd", none)
    page.wait_for_function(f"() => ({JS_SWEEP_POINT})() !== null", timeout=60_000)
    bs.wait_for_script_done(page)
    page.locator(".st-key-sweep_chart").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    x, y, name, index = page.evaluate(JS_SWEEP_POINT)
    page.mouse.move(x - 20, y - 20)
    page.mouse.move(x, y, steps=5)
    page.wait_for_function("() => document.querySelector('.st-key-sweep_chart .hoverlayer .hovertext')",
                           timeout=10_000)
    page.mouse.click(x, y)
    try:
        page.wait_for_function(f"(n) => ({JS_RUN_COUNT})() > n", arg=runs, timeout=15_000)
    except Exception:
        pass
    bs.wait_for_script_done(page)
    now = page.evaluate(JS_RUN_COUNT)
    assert now == runs + 1, f"clicking point {index} of the 1-D sweep ({name!r}) added no run ({now} runs)"
    bs.not_broken(page, "after clicking the 1-D sweep")


def test_long_formulas_fit_beside_the_title(browser, app_url):
    """At 1400 × 1000 the heading's formula is shown whole beside the surface's name and the Add run / Reset runs
    buttons: Beale's three squares and the six-hump camel's polynomial once ran under the buttons, their end
    hidden (ui/header.py sets a long formula a size smaller; a wider one, e.g. a typed formula, scrolls)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    try:
        for surface in ("beale", "six_hump_camel", "rastrigin"):
            _check_formula_fits(bs.open_app(context, app_url + f"?surface={surface}"), surface)
    finally:
        context.close()


def _check_formula_fits(page, surface: str) -> None:
    box = page.evaluate("""() => {
        const display = document.querySelector('.st-key-page_formula .katex-display');
        const formula = display.querySelector('.katex').getBoundingClientRect();
        const button = document.querySelector('.st-key-add_run').getBoundingClientRect();
        const reset = document.querySelector('.st-key-reset_runs').getBoundingClientRect();
        return {scroll: display.scrollWidth, client: display.clientWidth, right: formula.right,
                button: button.left, tops: [button.top, reset.top]};
    }""")
    assert abs(box["tops"][0] - box["tops"][1]) < 2, f"{surface}: Add run and Reset runs are not on one line: {box}"
    assert box["scroll"] <= box["client"] + 1, f"{surface}: the formula is wider than its column: {box}"
    assert box["right"] <= box["button"], f"{surface}: the formula runs under the buttons: {box}"
    page.close()
