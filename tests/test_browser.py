"""The app in a real browser: Debian's Chromium driven by Playwright against ``streamlit run app.py``.

Skipped (reason printed) when Chromium or Playwright is missing, unless REQUIRE_BROWSER=1 (CI), where
that is an error.  Screenshots go to tests/browser/screenshots/ (gitignored); the README's pictures
to assets/screenshot.png and assets/playback.png.
"""

from __future__ import annotations

import os
import sys

import pytest

import browser_support as bs  # tests/browser_support.py (pytest puts tests/ on sys.path)
from viz import figures as fg

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

    def open_page(url):
        pages.append(bs.open_app(context, url))
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
    page.wait_for_function(f"(old) => {{ const gd = document.querySelector('{bs.CHART}');"
                           " return gd && gd._fullData && gd._fullData[2].name !== old; }",
                           arg=before["names"][2], timeout=30_000)
    bs.wait_for_script_done(page)
    after = bs.chart_state(page)
    assert after["names"][2] == "SGD lr=0.9" and "SGD lr=0.9" in after["names"][3:]
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
