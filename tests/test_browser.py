"""The app in a real browser: Debian's Chromium driven by Playwright against ``streamlit run app.py``.

Skipped (reason printed) when Chromium or Playwright is missing, unless REQUIRE_BROWSER=1 (CI), where
that is an error.  Screenshots go to tests/browser/screenshots/ (gitignored); the README's pictures
to assets/screenshot.png and assets/playback.png.
"""

from __future__ import annotations

import os
import re
import sys
import urllib.parse

import pytest

import browser_support as bs  # tests/browser_support.py (pytest puts tests/ on sys.path)
import page_model
import surfaces
from viz import figures as fg
from viz import i18n

REQUIRED = os.environ.get("REQUIRE_BROWSER") == "1"


def _unavailable(reason: str) -> None:
    reason = f"browser test: {reason}"
    print(reason, file=sys.stderr)
    if REQUIRED:
        raise RuntimeError(reason + " (REQUIRE_BROWSER=1: a missing browser is a failure here, not a skip)")
    pytest.skip(reason, allow_module_level=True)


if bs.chromium_path() is None:
    _unavailable("Chromium not found (/usr/bin/chromium or `chromium` on PATH); apt-get install chromium")
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover
    _unavailable("the playwright package is not installed (pip install -r requirements-dev.txt)")


BOOK_STEPS = 30  # the default scene's step count: its last frame is "step 30"


@pytest.fixture(scope="module")
def app_url():
    server = bs.AppServer(bs.REPO / "app.py", cwd=bs.REPO)
    try:
        server.start(timeout=90)
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = bs.launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def context(browser):
    context = bs.new_context(browser)
    yield context
    context.close()


@pytest.fixture
def page_at(context):
    """page_at(url) -> a fresh page (a new Streamlit session) there, chart drawn; closed after the test."""
    pages = []

    def open_page(url, **options):
        pages.append(bs.open_app(context, url, **options))
        return pages[-1]

    yield open_page
    for page in pages:
        page.close()


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


def test_default_page_draws_the_chart_and_its_background(page_at, app_url):
    page = page_at(app_url)
    state = bs.chart_state(page)
    assert state["scatter"] > 10 and set(state["types"]) == {"scatter"}, state["types"]
    assert [n for n in state["names"] if n.startswith(("SGD", "Momentum", "AdaGrad", "Adam"))][:4] == \
        ["SGD lr=0.95", "Momentum lr=0.1", "AdaGrad lr=1.5", "Adam lr=0.3"]
    # layout.images (layer "below") is drawn as an <image> in the subplot's imagelayer, under the traces.
    assert state["images"] == 1
    image = page.locator(f"{bs.CHART} .imagelayer image").first
    assert (image.get_attribute("href") or image.get_attribute("xlink:href") or "").startswith("data:image/png")
    box, plot = image.bounding_box(), bs.xy_box(page)
    assert box["width"] > 0.9 * plot["width"] and box["height"] > 0.9 * plot["height"], (box, plot)
    assert page.locator("[data-testid=stMain] h3", has_text="Elongated bowl").count() == 1
    assert page.locator("[data-testid=stMain] table tr").count() == 1 + 4
    _no_exception(page)
    _save(page.screenshot(), "screenshot.png", asset=True)


def test_playback_advances_and_keeps_the_contour(page_at, app_url):
    page = page_at(app_url)
    assert bs.step_label(page) == f"step {BOOK_STEPS}"
    full = bs.chart_state(page)["lengths"]
    page.locator(f"{bs.CHART} .updatemenu-button", has_text="Slow").click()
    # Slow: 12 s over 31 frames.  The animation restarts at step 0, then must keep moving.
    page.wait_for_function(f"() => /^step \\d+$/.test(({bs.JS_STEP_LABEL})()) && ({bs.JS_STEP_LABEL})() !== "
                           f"'step {BOOK_STEPS}'", timeout=5_000, polling=20)
    first, lengths_first = bs.step_label(page), bs.chart_state(page)["lengths"]
    page.wait_for_function(f"(old) => {{ const t = ({bs.JS_STEP_LABEL})(); return t && t !== old; }}",
                           arg=first, timeout=5_000, polling=20)
    page.wait_for_function(f"(old) => {{ const t = ({bs.JS_STEP_LABEL})(); return t && t !== old; }}",
                           arg=bs.step_label(page), timeout=5_000, polling=20)
    second, lengths_second = bs.step_label(page), bs.chart_state(page)["lengths"]
    assert int(second.split()[1]) > int(first.split()[1]), (first, second)
    assert lengths_second != lengths_first and sum(lengths_second) < sum(full)  # the paths grow, not done yet

    # Mid-playback: the surface (a PNG under the traces) is still there and drawn.
    plot = bs.xy_box(page)
    png = page.screenshot(clip=plot)
    chart_png = page.locator("[data-testid=stPlotlyChart]").first.screenshot()
    label, state = bs.step_label(page), bs.chart_state(page)
    assert int(label.split()[1]) < BOOK_STEPS, f"playback ended before the screenshot ({label})"
    assert state["images"] == 1
    _save(png, "playback_plot.png")
    _save(chart_png, "playback.png", asset=True)
    stats = bs.pixel_stats(png)
    assert stats["distinct"] > 200, stats  # banded colours and contour lines, not a flat fill
    assert stats["banded"] > 0.6, stats  # cream-to-slate over most of the plot area
    assert stats["slate"] > 0.05, stats  # the outer, bluish bands too
    assert stats["white"] < 0.2, stats  # not a blank white plot
    _no_exception(page)


def test_learning_rate_slider_reruns_and_changes_the_chart(page_at, app_url):
    page = page_at(app_url)
    before = bs.chart_state(page)
    table = page.locator("[data-testid=stMain] table").first
    table_before = table.inner_text()
    slider = page.locator("[data-testid=stSidebar] [data-testid=stSlider]", has_text="learning rate η").first
    thumb = slider.locator("input[type=range]")  # the thumb (role "slider"): a visually hidden range input
    assert thumb.get_attribute("aria-valuetext") == "0.95"
    thumb.focus()
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    assert thumb.get_attribute("aria-valuetext") == "0.9"
    page.wait_for_function("(old) => { const t = document.querySelector('[data-testid=stMain] table');"
                           " return t && t.innerText !== old; }", arg=table_before, timeout=30_000)
    page.wait_for_function(f"() => {{ const gd = document.querySelector('{bs.CHART}');"
                           " return gd && gd._fullData && gd._fullData.some(t => t.name === 'SGD lr=0.9')"
                           " && !gd._fullData.some(t => t.name === 'SGD lr=0.95'); }", timeout=30_000)
    bs.wait_for_script_done(page)
    after = bs.chart_state(page)
    assert "SGD lr=0.95" in before["names"]
    assert after["names"].count("SGD lr=0.9") >= 2 and "SGD lr=0.95" not in after["names"]  # its path and legend line
    assert after["paths"] != before["paths"]
    assert "SGD lr=0.9" in table.inner_text() and "SGD lr=0.95" not in table.inner_text()
    assert "sgd%3Alr%3D0.9&" in page.url or "sgd:lr=0.9&" in page.url  # the URL follows
    _no_exception(page)


def test_clicking_the_chart_sets_the_start_point(page_at, app_url):
    page = page_at(app_url)
    assert (_sidebar_number(page, "start x"), _sidebar_number(page, "start y")) == (-7.0, 2.0)
    plot, state = bs.xy_box(page), bs.chart_state(page)
    (x_lo, x_hi), (y_lo, y_hi) = state["xrange"], state["yrange"]
    # 80 % right, 20 % down of the plot area: open surface, away from every path.
    px, py = plot["x"] + 0.8 * plot["width"], plot["y"] + 0.2 * plot["height"]
    want_x, want_y = x_lo + 0.8 * (x_hi - x_lo), y_hi - 0.2 * (y_hi - y_lo)
    # Streamlit reports selections, so the click must land on a marker of trace 0 (the click grid).
    markers = bs.grid_markers(page)
    gx, gy, mx, my = min(markers, key=lambda m: (m[2] - px) ** 2 + (m[3] - py) ** 2)
    columns, rows = len({round(m[0], 6) for m in markers}), len({round(m[1], 6) for m in markers})
    assert columns == fg.CLICK_COLUMNS and rows >= 11, (columns, rows)
    cell_x, cell_y = (x_hi - x_lo) / (columns - 1), (y_hi - y_lo) / (rows - 1)  # one grid cell
    assert abs(gx - want_x) <= cell_x and abs(gy - want_y) <= cell_y
    page.mouse.move(mx - 30, my - 30)
    page.mouse.move(mx, my, steps=5)
    page.wait_for_function(f"() => document.querySelector('{bs.CHART} .hoverlayer .hovertext')", timeout=10_000)
    page.mouse.click(mx, my)
    page.wait_for_function("() => document.querySelector(\"[data-testid=stSidebar] input[aria-label='start x']\")"
                           ".value !== '-7'", timeout=60_000)
    bs.wait_for_script_done(page, timeout=60_000)
    start_x, start_y = _sidebar_number(page, "start x"), _sidebar_number(page, "start y")
    # the clicked point (or, if the pointer's hover picked it, a touching grid neighbour) is the new start
    assert abs(start_x - want_x) <= 1.5 * cell_x and abs(start_y - want_y) <= 1.5 * cell_y, \
        ((start_x, start_y), (want_x, want_y))
    # and the chart draws its start marker there (during a rerun Streamlit may briefly show the old chart
    # beside the new one, so every chart on the page is asked)
    page.wait_for_function(
        f"([x, y]) => Array.from(document.querySelectorAll('{bs.CHART}')).some(gd => {{"
        " const s = gd._fullData && gd._fullData.find(t => t.name === 'start');"
        " return s && Math.abs(s.x[0] - x) <= 1e-3 * Math.max(1, Math.abs(x))"
        " && Math.abs(s.y[0] - y) <= 1e-3 * Math.max(1, Math.abs(y)); })",  # the inputs show 4 digits
        arg=[start_x, start_y], timeout=60_000)
    _no_exception(page)


def test_shared_url_reproduces_the_scene_and_bad_urls_warn(page_at, app_url):
    page = page_at(app_url + "?surface=rosenbrock&start=-1.2,1&steps=200&run=adam:lr=0.05")
    assert "Rosenbrock" in page.locator("[data-testid=stMain] h3").first.inner_text()
    state = bs.chart_state(page)
    assert [n for n in state["names"] if n.startswith("Adam")] == ["Adam lr=0.05", "Adam lr=0.05"]
    assert not any(n.startswith(("SGD", "Momentum", "AdaGrad")) for n in state["names"])
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


# --- issue 8: what only a browser sees ------------------------------------------------------------------------

# Never on the page, whatever a user does: Python's words for a failure, or the app's last-line fallback.
BROKEN = ("Traceback", "ValueError", "TypeError", "KeyError", "unknown surface id", "This setting cannot be run")
CJK = re.compile(r"[\u4e00-\u9fff]")
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1920, "height": 1080}


def _not_broken(page, where: str) -> None:
    """No Streamlit exception box and no traceback or error words anywhere on the page (the chart's
    hover texts are not in innerText)."""
    boxes = page.locator("[data-testid=stException]")
    assert boxes.count() == 0, f"{where}: the page shows an exception:\n{boxes.first.inner_text()[:800]}"
    text = page.locator("body").inner_text()
    for word in BROKEN:
        at = text.find(word)
        assert at < 0, f"{where}: the page shows {word!r}: …{text[max(0, at - 200):at + 300]}…"


def _surface_label(surface_id: str, lang: str) -> str:
    """The Surface box's label of a surface, as the page shows it in ``lang``."""
    return i18n.surface_name(surface_id, surfaces.get(surface_id).title, lang)


def _preset_label(key: str, lang: str) -> str:
    return i18n.t(page_model.PRESETS[key].title, lang)


def _lr_thumb(page):
    """The first run's learning-rate slider thumb (keys are run{id}.{optimizer}.lr: language-proof)."""
    return page.locator("[data-testid=stSidebar] [class*='st-key-run'][class*='-lr'] input[type=range]").first


def _step(page) -> int:
    label = bs.step_label(page)
    assert label and re.search(r"\d+", label), f"no step label on the chart ({label!r})"
    return int(re.search(r"\d+", label).group())


def test_switching_the_language_mid_session_never_breaks(page_at, app_url):
    """Issue 8, item 1: Language → 中文, then every kind of widget and tab; then back to English."""
    page = page_at(app_url)
    tabs = page.get_by_role("tab")
    stale = []  # select boxes still showing the other language's label (the crash's cause): reported last

    def check(where: str, lang: str) -> None:
        _not_broken(page, where)
        labels = tabs.all_inner_texts()
        assert len(labels) >= 4 and all(bool(CJK.search(t)) == (lang == "zh") for t in labels), (where, labels)
        for key in ("surface", "preset"):  # a box shows the label of the id it holds, in the page's language
            shown = bs.shown_value(page, key)
            if bool(CJK.search(shown)) != (lang == "zh"):
                stale.append(f"{where}: the {key} box shows {shown!r}")

    def nudge_lr(key: str) -> None:
        thumb = _lr_thumb(page)
        before = thumb.get_attribute("aria-valuetext")
        thumb.focus()
        bs.after_rerun(page, lambda: page.keyboard.press(key))
        assert _lr_thumb(page).get_attribute("aria-valuetext") != before, "the learning-rate slider did not move"

    walk = (("zh", "中文", "ArrowRight", "rosenbrock", "saddle"), ("en", "English", "ArrowLeft", "himmelblau", "book"))
    for lang, language, arrow, surface, preset in walk:
        bs.choose(page, "lang", language)
        check(f"after Language → {language}", lang)
        bs.after_rerun(page, lambda: tabs.nth(1).click())  # Explore
        check(f"{language}: after clicking the Explore tab", lang)
        bs.after_rerun(page, lambda: tabs.nth(0).click())  # Paths
        check(f"{language}: after clicking the Paths tab", lang)
        bs.wait_for_chart(page)
        nudge_lr(arrow)
        check(f"{language}: after moving a learning-rate slider", lang)
        bs.choose(page, "surface", _surface_label(surface, lang))
        check(f"{language}: after changing the surface", lang)
        bs.choose(page, "preset", _preset_label(preset, lang))
        check(f"{language}: after picking a preset", lang)
        bs.wait_for_chart(page)
        heading = page.locator("[data-testid=stMain] h3").first.inner_text().strip()
        assert heading == _surface_label(page_model.PRESETS[preset].scene.surface, lang)
    assert not stale, "\n".join(stale)


def test_projector_mode_survives_a_preset_and_a_surface_change(page_at, app_url):
    """Issue 8, item 2: projector mode is the teacher's, not the scene's."""
    page = page_at(app_url + "?projector=1")

    def still_on(where: str) -> None:
        _not_broken(page, where)
        assert bs.widget(page, "projector").locator("input[type=checkbox]").is_checked(), \
            f"{where}: the Projector toggle went off"
        query = page.evaluate("() => location.search")
        assert "projector=1" in query, f"{where}: projector=1 left the URL ({query})"

    still_on("on load")
    bs.choose(page, "preset", _preset_label("saddle", "en"))
    still_on("after picking a preset")
    bs.choose(page, "surface", _surface_label("himmelblau", "en"))
    still_on("after changing the surface")
    bs.after_rerun(page, lambda: bs.widget(page, "reset_runs").locator("button").filter(visible=True).first.click())
    still_on("after ↺ Reset runs")


JS_SIDEBAR_ON_SCREEN = """() => {
    const s = document.querySelector('[data-testid=stSidebar]');
    if (!s) return {width: 0, right: 0};
    const c = getComputedStyle(s), r = s.getBoundingClientRect();
    if (c.display === 'none' || c.visibility === 'hidden' || r.width === 0) return {width: 0, right: 0};
    return {width: Math.max(0, Math.min(r.right, innerWidth) - Math.max(r.left, 0)), right: r.right, left: r.left,
            minWidth: c.minWidth};
}"""
JS_CHART_WIDTH = f"() => document.querySelector('{bs.CHART}')._fullLayout.width"


def test_projector_mode_with_the_sidebar_collapsed(browser, app_url):
    """Issue 8, item 3: collapsing the sidebar in projector mode leaves no strip and widens the chart."""
    # its own context: Streamlit remembers a collapsed sidebar in the browser's storage
    context = browser.new_context(viewport=PROJECTOR)
    context.set_default_timeout(30_000)
    try:
        _projector_collapsed(bs.open_app(context, app_url + "?projector=1"))
    finally:
        context.close()


def _projector_collapsed(page) -> None:
    expanded = page.evaluate(JS_CHART_WIDTH)
    assert page.evaluate(JS_SIDEBAR_ON_SCREEN)["width"] > 200  # open to begin with
    page.locator("[data-testid=stSidebar]").hover()  # the collapse button shows on hover
    page.locator("[data-testid=stSidebarCollapseButton] button").click()
    try:
        page.wait_for_function(f"() => ({JS_SIDEBAR_ON_SCREEN})().right <= 10", timeout=3_000)
    except Exception:
        pass
    sidebar = page.evaluate(JS_SIDEBAR_ON_SCREEN)
    assert sidebar["right"] <= 10, \
        f"the collapsed sidebar still covers {sidebar['width']:.0f} px of the screen: {sidebar}"
    try:
        page.wait_for_function(f"(w) => ({JS_CHART_WIDTH})() > w + 50", arg=expanded, timeout=5_000)
    except Exception:
        pass
    collapsed = page.evaluate(JS_CHART_WIDTH)
    assert collapsed > expanded + 50, f"the chart did not widen: {expanded} px with the sidebar, {collapsed} without"
    _not_broken(page, "projector mode, sidebar collapsed")
    _save(page.screenshot(), "projector_collapsed.png")


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


def test_play_after_pause_resumes(page_at, app_url):
    """Issue 8, item 13: Play resumes where Pause stopped; a separate ⏮ control restarts at step 0."""
    query = urllib.parse.urlencode(page_model.to_query(page_model.PRESETS["rosenbrock"].scene), doseq=True)
    page = page_at(app_url + "?" + query)
    buttons = page.locator(f"{bs.CHART} .updatemenu-button")
    play = buttons.filter(has_text=re.compile(r"^\W*Play")).first  # "▶ Play", not "▶▶ Fast"
    pause = buttons.filter(has_text="Pause").first
    last = _step(page)
    assert last >= 100, f"the Rosenbrock preset should run long ({last} steps)"
    play.click()
    page.wait_for_function(f"(mid) => {{ const t = ({bs.JS_STEP_LABEL})(); const m = t && t.match(/\\d+/);"
                           " return m && +m[0] >= mid && +m[0] < 0.8 * 2 * mid; }",
                           arg=last // 2, timeout=20_000, polling="raf")
    pause.click()
    page.wait_for_timeout(300)
    paused = _step(page)
    page.wait_for_timeout(300)
    assert _step(page) == paused, "Pause did not stop the animation"
    assert 0 < paused < last, paused
    play.click()
    page.wait_for_timeout(250)
    resumed = _step(page)
    assert resumed >= paused, f"Play after Pause restarted: paused at step {paused}, 0.25 s after Play at {resumed}"

    # the chart's restart button ("⏮ …", "↺ Restart"), or else a page button starting with ⏮
    restart = buttons.filter(has_text=re.compile(r"^\s*(⏮|↺)|Restart"))
    if restart.count() == 0:
        restart = page.locator("button").filter(has_text=re.compile(r"^\s*⏮"))
    assert restart.count() >= 1, f"no restart control among {buttons.all_text_contents()}"
    page.evaluate(f"""() => {{  // every step shown in the next 1.5 s, frame by frame
        window.__seen = [];
        const until = performance.now() + 1500;
        const look = () => {{ const t = ({bs.JS_STEP_LABEL})(); const m = t && t.match(/\\d+/);
            if (m) window.__seen.push(+m[0]); if (performance.now() < until) requestAnimationFrame(look); }};
        requestAnimationFrame(look);
    }}""")
    restart.first.click()
    page.wait_for_timeout(1600)
    seen = page.evaluate("() => window.__seen")
    assert seen and min(seen) == 0, f"⏮ did not go back to step 0 (steps shown: {sorted(set(seen))[:20]})"
    _not_broken(page, "after Play, Pause, Play, ⏮")


JS_PHONE_LAYOUT = """() => {
    const box = e => { const r = e.getBoundingClientRect();
                       return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
    const charts = Array.from(document.querySelectorAll('[data-testid=stMain] .js-plotly-plot')).map(gd => ({
        box: box(gd),
        buttons: Array.from(gd.querySelectorAll('.updatemenu-button')).map(b => ({text: b.textContent, box: box(b)})),
        slider: Array.from(gd.querySelectorAll('.slider-rail-rect, .slider-grip-rect')).map(box),
        titles: Array.from(gd.querySelectorAll('.infolayer .annotation'))
            .map(a => ({text: a.textContent, box: box(a)})),
    }));
    const main = document.querySelector('[data-testid=stMain]');
    const wide = Array.from(main.querySelectorAll('[data-testid]'))
        .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
        .map(e => e.getAttribute('data-testid') + ' ' + Math.round(e.getBoundingClientRect().right) + ' px');
    const table = main.querySelector('table');
    let summary = null;
    if (table) {
        const cells = table.rows[0].cells, last = cells[cells.length - 1];
        const own = table.closest('[data-testid=stElementContainer]') || table.parentElement;
        let scroller = null;
        for (let e = table.parentElement; e; e = e.parentElement) {
            const c = getComputedStyle(e);
            if (['auto', 'scroll'].includes(c.overflowX) && e.scrollWidth > e.clientWidth + 1) { scroller = e; break; }
            if (e === own) break;
        }
        summary = {last: last.textContent, lastBox: box(last),
                   scroller: scroller && {box: box(scroller), scrollWidth: scroller.scrollWidth,
                                          clientWidth: scroller.clientWidth}};
    }
    return {viewport: innerWidth, charts, summary, mainScrollWidth: main.scrollWidth, mainClientWidth: main.clientWidth,
            wide: wide.slice(-8)};
}"""


def _overlap(a: dict, b: dict) -> bool:
    return min(a["right"], b["right"]) - max(a["left"], b["left"]) > 0.5 and \
        min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 0.5


def _inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return inner["left"] >= outer["left"] - slack and inner["right"] <= outer["right"] + slack and \
        inner["top"] >= outer["top"] - slack and inner["bottom"] <= outer["bottom"] + slack


def test_phone_layout(browser, app_url):
    """Issue 8, item 18: at 390 × 844 the contour plot is usable, the play buttons leave the slider
    free, the panel titles and the summary table are whole, and the page does not scroll sideways."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    context.set_default_timeout(30_000)
    try:
        page = bs.open_app(context, app_url)
        _save(page.screenshot(), "phone.png")
        _not_broken(page, "phone")
        plot, state = bs.xy_box(page), bs.chart_state(page)
        to_scale = page.evaluate(f"() => document.querySelector('{bs.CHART}')._fullLayout.yaxis.scaleanchor === 'x'")
        assert plot["width"] >= 300, f"the contour plot is {plot['width']:.0f} × {plot['height']:.0f} px on a phone"
        if to_scale:  # drawn to scale, its height follows from its width
            (x_lo, x_hi), (y_lo, y_hi) = state["xrange"], state["yrange"]
            want = min(250.0, 0.95 * plot["width"] * (y_hi - y_lo) / (x_hi - x_lo))
        else:
            want = 250.0
        assert plot["height"] >= want, f"the contour plot is {plot['width']:.0f} × {plot['height']:.0f} px on a phone"
        layout = page.evaluate(JS_PHONE_LAYOUT)
        for chart in layout["charts"]:
            for button in chart["buttons"]:
                hits = [part for part in chart["slider"] if _overlap(button["box"], part)]
                assert not hits, f"the {button['text']!r} button covers the step slider: {button['box']} over {hits}"
            for title in chart["titles"]:
                assert _inside(title["box"], chart["box"]), \
                    f"panel title {title['text']!r} is cut off: {title['box']} outside the chart {chart['box']}"
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
    finally:
        context.close()


JS_RUN_COLOURS = """() => {
    const panels = Array.from(document.querySelectorAll('[data-testid=stSidebar] [class*="st-key-run_panel_"]'))
        .map(el => {
            const key = Array.from(el.classList).find(c => /^st-key-run_panel_\\d+$/.test(c));
            const summary = el.querySelector('summary');
            return {key, title: summary ? summary.innerText : '',
                    colour: summary ? getComputedStyle(summary, '::before').backgroundColor : null};
        }).filter(p => p.key);
    const gd = document.querySelector('[data-testid=stMain] [data-testid=stPlotlyChart] .js-plotly-plot');
    const lines = (gd && gd.data || [])
        .filter(t => t.type === 'scatter' && t.showlegend !== false && (t.mode || '').includes('lines')
                && (!t.xaxis || t.xaxis === 'x'))
        .map(t => ({name: t.name || '', colour: (t.line && t.line.color) || ''}));
    return {panels, lines};
}"""


def _run_colours(page) -> tuple:
    """(panels, lines): each run panel's key, title and badge colour, and each legend line's name and
    colour, in order, colours as the browser computes them."""
    found = page.evaluate(JS_RUN_COLOURS)
    for line in found["lines"]:
        line["colour"] = bs.canonical_colour(page, line["colour"])
    return found["panels"], found["lines"]


def _check_badges(panels, lines, where: str) -> None:
    assert panels, \
        f"{where}: no run panel (st.container key run_panel_<id>, class st-key-run_panel_<id>) in the sidebar"
    assert len(panels) == len(lines), (where, [p["title"] for p in panels], [line["name"] for line in lines])
    for panel, line in zip(panels, lines):
        optimizer = line["name"].split()[0]
        assert optimizer in panel["title"], (where, panel["title"], line["name"])
        assert panel["colour"] == line["colour"], \
            f"{where}: {panel['title']!r}'s badge is {panel['colour']}, its line {line['name']!r} is {line['colour']}"


def test_run_colours_are_exact_and_stable(page_at, app_url):
    """Issue 8, item 11: each sidebar badge is drawn in its run's line colour, and a run keeps its
    colour when an earlier one is removed."""
    page = page_at(app_url)
    panels, lines = _run_colours(page)
    _check_badges(panels, lines, "default page")
    assert len(panels) >= 4
    before = {panel["key"]: panel["colour"] for panel in panels}
    second = page.locator("." + panels[1]["key"])
    remove = second.get_by_role("button", name="Remove this run").filter(visible=True).first
    bs.after_rerun(page, remove.click)
    bs.wait_for_chart(page)
    after_panels, after_lines = _run_colours(page)
    assert panels[1]["key"] not in {p["key"] for p in after_panels}, "run 2 was not removed"
    _check_badges(after_panels, after_lines, "after removing run 2")
    now = {panel["key"]: panel["colour"] for panel in after_panels}
    for panel in panels[2:4]:
        assert now[panel["key"]] == before[panel["key"]], \
            f"{panel['title']!r} changed colour when run 2 was removed: {before[panel['key']]} -> {now[panel['key']]}"
    _not_broken(page, "after removing run 2")


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
    _not_broken(page, "after typing formulas")

    value = "[x](http://example.com)"
    page = page_at(app_url + "?surface=bowl&steps=" + urllib.parse.quote(value))
    warning = page.locator("[data-testid=stAlert]").filter(has_text="steps")
    assert warning.count() >= 1, "no warning for steps=" + value
    assert value in warning.first.inner_text().replace("\u2060", "") and _has_markup(warning.first) == 0, \
        f"the URL's value is rendered as Markdown in the warning: {warning.first.inner_html()}"


# The runs in the sidebar: its run panels (st.container key run_panel_<id>), or else its "Remove this
# run" buttons (key remove<id>; one element container each, though Streamlit may draw a button twice).
JS_RUN_COUNT = """() => {
    const count = pattern => Array.from(document.querySelectorAll('[data-testid=stSidebar] [class*="st-key-"]'))
        .filter(e => Array.from(e.classList).some(c => pattern.test(c))).length;
    return count(/^st-key-run_panel_\\d+$/) || count(/^st-key-remove\\d+$/);
}"""
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
    assert runs == 4, f"{runs} runs in the sidebar of the default page"
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
    _not_broken(page, "after clicking the 1-D sweep")
