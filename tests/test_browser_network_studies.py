"""The Network tab's chapter-6 views in a real browser: Debian's Chromium driven by Playwright against
``streamlit run app.py`` (the style of tests/test_browser_network.py).

Each study opens from a link at 1400 × 1000 and its Plotly charts are drawn (an SVG with marks in it), with no
exception box, no error box and no JavaScript error; in projector mode at 1920 × 1080 a chart's type is at least 20 px;
on a 390 × 844 phone the ensembles' four charts stack in one column, no wider than the screen; switching the language on
the overfitting view keeps its weight decay and says everything in Chinese.

Skipped (reason printed) when Chromium or Playwright is missing, unless REQUIRE_BROWSER=1, where that is an error.
Screenshots go to pytest's tmp_path (printed).  The studies' results are shared by the server's sessions, so only the
first page to open a view waits for its training.

    .venv/bin/python -m pytest -q -m browser tests/test_browser_network_studies.py
"""

from __future__ import annotations

import re
import sys
from urllib.parse import parse_qs, urlparse

import pytest

import browser_support as bs  # tests/browser_support.py (pytest puts tests/ on sys.path)

pytestmark = pytest.mark.browser
sync_playwright = bs.playwright_or_skip()  # skips the module (fails it with REQUIRE_BROWSER=1) without Chromium

from test_browser_network import SETUPS, choose_view, no_sideways_scroll  # noqa: E402  (after the skip)

CHARTS = {"init": 2, "batchnorm": 1, "overfit": 1, "search": 2, "ensembles": 1}
CJK = re.compile(r"[\u4e00-\u9fff]")
DESKTOP = {"width": 1400, "height": 1000}
PLOT = "[data-testid=stPlotlyChart] .js-plotly-plot"

# Every Plotly chart of the page as drawn: its traces, the marks in them (non-empty paths), its box, each subplot's
# plotting area (viewport pixels) and the font sizes of its words.
JS_CHARTS = f"""() => Array.from(document.querySelectorAll('{PLOT}')).map(gd => {{
    const r = gd.getBoundingClientRect(), full = gd._fullLayout;
    const marks = Array.from(gd.querySelectorAll('.scatterlayer .trace path, .barlayer .trace path'))
        .filter(p => (p.getAttribute('d') || '').length > 4).length;
    const subplots = !full ? [] : Object.keys(full).filter(k => /^xaxis\\d*$/.test(k)).map(k => {{
        const xa = full[k], ya = full['yaxis' + xa.anchor.slice(1)];
        return {{left: r.left + xa._offset, top: r.top + ya._offset, width: xa._length, height: ya._length}};
    }});
    const words = Array.from(gd.querySelectorAll('svg text')).filter(t => t.textContent.trim());
    return {{
        ready: !!full, data: (gd.data || []).length, marks, subplots,
        svg: gd.querySelectorAll('svg.main-svg').length,
        traces: gd.querySelectorAll('.scatterlayer .trace, .barlayer .trace').length,
        box: {{left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height}},
        fonts: words.map(t => ({{text: t.textContent.slice(0, 40), size: parseFloat(getComputedStyle(t).fontSize)}})),
        legend: Array.from(gd.querySelectorAll('.legendtext')).map(t => t.textContent),
        viewport: {{width: innerWidth, height: innerHeight}},
    }};
}})"""


# --- helpers -------------------------------------------------------------------------------------------------


def charts(page) -> list:
    return page.evaluate(JS_CHARTS)


def wait_for_charts(page, count: int, timeout: float = 120_000) -> list:
    """Until the page shows ``count`` Plotly charts, each laid out with marks drawn in it, and the script is done."""
    page.wait_for_function(
        f"""(count) => {{ const all = document.querySelectorAll('{PLOT}');
            return all.length === count && Array.from(all).every(gd => gd._fullLayout
                && gd.querySelector('svg.main-svg')
                && Array.from(gd.querySelectorAll('.scatterlayer .trace path, .barlayer .trace path'))
                       .some(p => (p.getAttribute('d') || '').length > 4)); }}""",
        arg=count, timeout=timeout, polling=100)
    bs.wait_for_script_done(page, timeout=timeout)
    page.wait_for_timeout(300)
    return charts(page)


def open_study(browser, app_url, view: str, *, query: str = "", setup: str = "desktop", viewport: dict | None = None):
    """A new context at the setup's viewport (the desktop: 1400 × 1000), the link to the view opened, its charts
    drawn.  Returns (context, page, JavaScript errors seen)."""
    extra, size, options = SETUPS[setup]
    context = browser.new_context(viewport=viewport or (DESKTOP if setup == "desktop" else size), **options)
    context.set_default_timeout(60_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{app_url}?view=network&net.view={view}{query}{extra}", wait_until="domcontentloaded",
              timeout=90_000)
    bs.wait_for_script_done(page, timeout=120_000)
    wait_for_charts(page, CHARTS[view])
    bs.watch_reruns(page)
    return context, page, errors


def drawn(state: dict, where: str) -> None:
    """A chart with its SVG, laid out, every trace drawn, marks in it, a real size."""
    assert state["ready"] and state["svg"] >= 1, f"{where}: not laid out: {state}"
    assert state["traces"] >= 1 and state["marks"] >= 1, f"{where}: nothing drawn in the chart: {state}"
    assert state["box"]["width"] > 250 and state["box"]["height"] > 250, f"{where}: the chart is {state['box']}"


def screenshot(page, tmp_path, name: str) -> None:
    path = tmp_path / f"network_study_{name}.png"
    page.screenshot(path=str(path))
    print(f"\nscreenshot: {path}", file=sys.stderr)


def url_query(page) -> dict:
    return {key: values[-1] for key, values in parse_qs(urlparse(page.url).query).items()}


def thumb_text(page, key: str) -> str:
    """What a slider's thumb reads (the aria-valuetext of its visually hidden range input)."""
    return bs.widget(page, key).locator("input[type=range]").first.get_attribute("aria-valuetext")


# --- the tests -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("view", list(CHARTS))
def test_a_study_view_draws_its_charts_from_a_link(browser, app_url, tmp_path, view):
    context, page, errors = open_study(browser, app_url, view)
    try:
        states = charts(page)
        assert len(states) == CHARTS[view]
        for index, state in enumerate(states):
            drawn(state, f"{view}, chart {index + 1}")
        bs.not_broken(page, f"{view}: from a link", errors=True)
        no_sideways_scroll(page, f"{view} at 1400 × 1000")
        assert not errors, f"{view}: JavaScript errors: {errors}"
        assert url_query(page).get("net.view") == view
        page.locator(PLOT).first.scroll_into_view_if_needed()
        png = page.locator(PLOT).first.screenshot()
        stats = bs.pixel_stats(png, step=4)
        assert stats["distinct"] > 20 and stats["white"] < 0.98, f"{view}: the chart looks blank: {stats}"
        screenshot(page, tmp_path, view)
    finally:
        context.close()


def test_projector_mode_draws_a_studys_words_at_20_px(browser, app_url, tmp_path):
    context, page, errors = open_study(browser, app_url, "overfit", setup="projector")
    try:
        [state] = charts(page)
        drawn(state, "projector, overfitting")
        assert page.viewport_size == {"width": 1920, "height": 1080}
        sizes = {font["text"]: font["size"] for font in state["fonts"]}
        assert sizes, "the chart has no words"
        small = {text: size for text, size in sizes.items() if size < 20}
        assert not small, f"projector mode: words under 20 px: {small}"
        assert any(text.startswith("plain") for text in state["legend"]), state["legend"]
        bs.not_broken(page, "projector, overfitting", errors=True)
        no_sideways_scroll(page, "projector, overfitting")
        assert not errors, errors
        screenshot(page, tmp_path, "overfit_projector")
    finally:
        context.close()


def test_on_a_phone_the_ensembles_stack_in_one_column(browser, app_url, tmp_path):
    context, page, errors = open_study(browser, app_url, "ensembles", setup="phone")
    try:
        # the page learns it is narrow from the browser (ui/viewport.py), then draws the four charts one above another
        page.wait_for_function(
            f"""() => {{ const gd = document.querySelector('{PLOT}');
                if (!gd || !gd._fullLayout) return false;
                const lefts = Object.keys(gd._fullLayout).filter(k => /^xaxis\\d*$/.test(k))
                    .map(k => gd._fullLayout[k]._offset);
                return lefts.length === 4 && Math.max(...lefts) - Math.min(...lefts) < 2; }}""",
            timeout=60_000, polling=200)
        bs.wait_for_script_done(page, timeout=60_000)
        [state] = charts(page)
        drawn(state, "phone, ensembles")
        subplots = sorted(state["subplots"], key=lambda box: box["top"])
        assert len(subplots) == 4
        assert max(b["left"] for b in subplots) - min(b["left"] for b in subplots) < 2, subplots  # one column
        for upper, lower in zip(subplots, subplots[1:]):
            assert upper["top"] + upper["height"] <= lower["top"], f"subplots overlap: {upper} {lower}"
        width = state["viewport"]["width"]
        assert state["box"]["left"] >= -1 and state["box"]["right"] <= width + 1, \
            f"the chart is wider than the {width} px screen: {state['box']}"
        for box in subplots:
            assert box["left"] >= 0 and box["left"] + box["width"] <= width + 1 and box["width"] > 150, box
        bs.not_broken(page, "phone, ensembles", errors=True)
        no_sideways_scroll(page, "phone, ensembles")
        assert not errors, errors
        screenshot(page, tmp_path, "ensembles_phone")
    finally:
        context.close()


def test_switching_the_language_on_the_overfitting_view_keeps_the_weight_decay(browser, app_url, tmp_path):
    context, page, errors = open_study(browser, app_url, "overfit", query="&net.wd=0.03")
    try:
        assert thumb_text(page, "net.wd") == "0.03"
        [before] = charts(page)
        assert any("λ = 0.03" in text for text in before["legend"]), before["legend"]
        bs.choose(page, "lang", "中文")
        [state] = wait_for_charts(page, 1)
        drawn(state, "中文, overfitting")
        query = url_query(page)
        assert query.get("net.wd") == "0.03" and query.get("net.view") == "overfit" and query.get("lang") == "zh", query
        assert thumb_text(page, "net.wd") == "0.03"
        assert state["legend"] and all(CJK.search(text) for text in state["legend"]), state["legend"]
        assert any("λ = 0.03" in text for text in state["legend"]), state["legend"]
        captions = page.locator("[data-testid=stMain] [data-testid=stCaptionContainer]").all_inner_texts()
        assert any("图 6-20" in caption for caption in captions), captions
        assert not any("The book" in caption for caption in captions), captions
        views = bs.widget(page, "net.view").locator("button").all_inner_texts()
        assert len(views) == 9 and all(CJK.search(label) for label in views), views
        bs.not_broken(page, "中文, overfitting", errors=True)
        assert not errors, errors
        screenshot(page, tmp_path, "overfit_zh")
    finally:
        context.close()


def test_a_view_change_in_the_browser_keeps_the_weight_decay(browser, app_url):
    context, page, errors = open_study(browser, app_url, "overfit", query="&net.wd=0.03")
    try:
        choose_view(page, "Hyperparameter search")
        wait_for_charts(page, 2)
        choose_view(page, "Overfitting")
        wait_for_charts(page, 1)
        bs.not_broken(page, "overfit → search → overfit", errors=True)
        assert url_query(page).get("net.wd") == "0.03", url_query(page)
        assert thumb_text(page, "net.wd") == "0.03"
    finally:
        context.close()


def test_a_first_run_that_computes_for_seconds_still_shows_the_links_values(browser):
    """The first page on a fresh server opens a study that computes for seconds (Batch Norm: 32 trainings, in small
    NumPy steps that keep the server busy): Streamlit told the browser the link's values (start, steps, language) only
    in that first run, and widget code arriving after the next run showed each widget's own default instead (start
    x −20, steps 1, the language box "English" on a Chinese page) while the server kept the link's values.  Every
    widget must show the link's value once the page has settled."""
    server = bs.AppServer(bs.REPO / "app.py", cwd=bs.REPO).start(timeout=90)
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = bs.open_app(context, server.url + "?view=network&net.view=batchnorm&lang=zh&start=-3,1&steps=40",
                           timeout=180_000, stage=False)
        page.wait_for_function(f"() => document.querySelector('{PLOT}') && document.querySelector('{PLOT}')._fullLayout",
                               timeout=180_000)
        page.wait_for_timeout(1500)  # the viewport's report and its rerun, and any widget code still on its way
        bs.wait_for_script_done(page, timeout=60_000)
        page.wait_for_function("() => document.querySelectorAll('[data-testid=stSidebar] [data-testid=stNumberInput] input').length >= 3",
                               timeout=60_000)
        values = page.evaluate("() => [...document.querySelectorAll("
                               "'[data-testid=stSidebar] [data-testid=stNumberInput] input')].slice(0, 3).map(i => i.value)")
        language = page.evaluate("() => { const box = document.querySelector('[data-testid=stSidebar] [data-testid=stSelectbox]');"
                                 " return box.textContent + ' ' + Array.from(box.querySelectorAll('input')).map(i => i.value).join(' '); }")
        assert values == ["-3", "1", "40"], values
        assert "中文" in language, language
        bs.wait_for_run_rows(page, timeout=60_000)
        optimizers = [row["optimizer"] for row in bs.run_rows_state(page)]  # the run rows' optimizer boxes
        assert optimizers == ["SGD", "Momentum", "AdaGrad", "Adam"], optimizers  # once "SGD" in every row
        assert "start=-3.0%2C1.0" in page.url and "steps=40" in page.url
    finally:
        context.close()
        server.stop()
