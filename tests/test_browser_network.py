"""The Network tab in a real browser: Debian's Chromium driven by Playwright against ``streamlit run app.py``.

The decision regions and the landscape are Plotly figures with frames, played in the browser by a Plotly
updatemenu (▶ Play / ❚❚ Pause) and a slider whose current value reads "iteration k".  These tests press Play and
check what a viewer sees: the slider's iteration goes up, the maps change (pixels), Pause stops them, the
landscape's picture (a layout image) stays drawn during playback; at 1400 × 1000, in projector mode at
1920 × 1080 and on a 390 × 844 phone, with nothing overlapping and no sideways scrolling.

Skipped (reason printed) when Chromium or Playwright is missing, unless REQUIRE_BROWSER=1, where that is an error.
Screenshots go to a temporary directory (printed), or to assets/network_*.png with SAVE_SCREENSHOTS=1.

    .venv/bin/python -m pytest -q -m browser tests/test_browser_network.py
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

import pytest

import browser_support as bs  # tests/browser_support.py (pytest puts tests/ on sys.path)

pytestmark = pytest.mark.browser
sync_playwright = bs.playwright_or_skip()  # skips the module (fails it with REQUIRE_BROWSER=1) without Chromium

SAVE = os.environ.get("SAVE_SCREENSHOTS") == "1"
SHOTS = bs.ASSETS if SAVE else Path(tempfile.gettempdir()) / "browser_network_screenshots"

CHART = "[data-testid=stPlotlyChart] .js-plotly-plot"
# where the page is opened: (query added to ?view=network, viewport, context options)
SETUPS = {
    "desktop": ("", {"width": 1400, "height": 1000}, {}),
    "projector": ("&projector=1", {"width": 1920, "height": 1080}, {}),
    "phone": ("", {"width": 390, "height": 844}, {"is_mobile": True, "has_touch": True, "device_scale_factor": 2}),
}

# The Network tab's chart: its frames, its layout images (as drawn), the slider's current value, Plotly's animation,
# and the boxes (viewport CSS pixels) of what must not overlap.
JS_CHART = f"""() => {{
    const gd = document.querySelector('{CHART}');
    if (!gd || !gd._fullLayout) return null;
    const box = e => {{ const r = e.getBoundingClientRect();
                        return {{left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width,
                                 height: r.height}}; }};
    const images = Array.from(gd.querySelectorAll('.imagelayer image, .layer-below image'));
    const labels = Array.from(gd.querySelectorAll('.slider-container .slider-label'))
        .filter(t => /^iteration /.test(t.textContent));
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
    return {{
        frames: gd._transitionData ? gd._transitionData._frames.length : 0,
        running: !!(gd._transitionData && gd._transitionData._animationRaf),
        images: images.map(i => ({{href: i.getAttribute('href') || i.getAttribute('xlink:href') || '', box: box(i)}})),
        current: labels.length ? labels[0].textContent : null,
        currentBox: labels.length ? box(labels[0]) : null,
        buttons: Array.from(gd.querySelectorAll('.updatemenu-button')).map(b => ({{text: b.textContent, box: box(b)}})),
        xtitles: Array.from(gd.querySelectorAll('.g-xtitle, .g-x2title')).filter(t => t.textContent.trim())
            .map(t => ({{text: t.textContent, box: box(t)}})),
        legend: Array.from(gd.querySelectorAll('.legend .traces')).map(t => ({{text: t.textContent, box: box(t)}})),
        // what a viewer sees of the slider: its rail, grip and tick marks (its step labels are transparent)
        slider: (() => {{
            const parts = Array.from(gd.querySelectorAll('.slider-rail-rect, .slider-grip-rect, .slider-tick-rect'))
                .map(box).filter(b => b.width > 0 || b.height > 0);
            if (!parts.length) return null;
            const left = Math.min(...parts.map(b => b.left)), right = Math.max(...parts.map(b => b.right));
            const top = Math.min(...parts.map(b => b.top)), bottom = Math.max(...parts.map(b => b.bottom));
            return {{left, top, right, bottom, width: right - left, height: bottom - top}};
        }})(),
        chart: box(gd),
        plot: {{x: r.left + xa._offset, y: r.top + ya._offset, width: xa._length, height: ya._length}},
        plotBox: {{left: r.left + xa._offset, top: r.top + ya._offset, right: r.left + xa._offset + xa._length,
                   bottom: r.top + ya._offset + ya._length}},
        // the loss figure's right panel (validation accuracy): its y-axis title and tick labels
        right: Array.from(gd.querySelectorAll('.g-y2title, .y2tick text')).filter(t => t.textContent.trim())
            .map(t => ({{text: t.textContent, box: box(t)}})),
        viewport: {{width: innerWidth, height: innerHeight}},
    }};
}}"""

JS_OVERFLOW = """() => {
    const main = document.querySelector('[data-testid=stMain]');
    const wide = Array.from(document.querySelectorAll('[data-testid=stMain] *'))
        .filter(e => e.getBoundingClientRect().right > innerWidth + 1 && getComputedStyle(e).position !== 'fixed')
        .map(e => (e.getAttribute('data-testid') || e.getAttribute('class') || e.tagName).toString().slice(0, 60)
             + ' ' + Math.round(e.getBoundingClientRect().right) + ' px');
    return {body: document.body.scrollWidth, main: main.scrollWidth, mainClient: main.clientWidth,
            viewport: innerWidth, wide: wide.slice(0, 8)};
}"""


# --- fixtures ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def where_the_screenshots_go():
    SHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nNetwork tab screenshots: {SHOTS}/network_*.png", file=sys.stderr)
    yield


# --- helpers -------------------------------------------------------------------------------------------------


def _save(png: bytes, name: str) -> None:
    (SHOTS / f"network_{name}.png").write_bytes(png)


def chart(page) -> dict | None:
    return page.evaluate(JS_CHART)


def iteration(state: dict) -> int:
    match = re.fullmatch(r"iteration (\d+)", (state or {}).get("current") or "")
    assert match, f"the slider's current value reads {(state or {}).get('current')!r}, not 'iteration k'"
    return int(match.group(1))


def wait_for_chart(page, *, images: int, frames: bool, timeout: float = 120_000) -> dict:
    """Until the Network tab's chart is drawn with that many layout images (and frames, if asked)."""
    page.wait_for_function(
        f"""([images, frames]) => {{ const gd = document.querySelector('{CHART}');
            if (!gd || !gd._fullLayout || !gd.querySelector('.scatterlayer .trace')) return false;
            const drawn = gd.querySelectorAll('.imagelayer image, .layer-below image').length;
            const n = gd._transitionData ? gd._transitionData._frames.length : 0;
            return drawn === images && (frames ? n > 0 : true); }}""",
        arg=[images, frames], timeout=timeout, polling=100)
    bs.wait_for_script_done(page, timeout=timeout)
    page.wait_for_timeout(300)
    return chart(page)


def open_network(browser, app_url, setup: str):
    query, viewport, options = SETUPS[setup]
    context = browser.new_context(viewport=viewport, **options)
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(app_url + "?view=network" + query, wait_until="domcontentloaded", timeout=90_000)
    bs.wait_for_script_done(page, timeout=120_000)
    wait_for_chart(page, images=0, frames=False)
    bs.watch_reruns(page)
    return context, page


def choose_view(page, label: str) -> None:
    """Click a button of the Network view control (a segmented control keyed net.view@<lang>)."""
    button = page.locator("[class*=st-key-net-view] button", has_text=label).first
    button.scroll_into_view_if_needed()
    bs.after_rerun(page, lambda: button.click(), timeout=120_000)


def show_chart(page) -> None:
    """The chart's bottom (its Play button and slider) on screen, below Streamlit's fixed header."""
    page.locator(CHART).first.evaluate("""gd => {
        const main = document.querySelector('[data-testid=stMain]');
        const header = document.querySelector('[data-testid=stHeader]');
        const top = header ? header.getBoundingClientRect().bottom + 8 : 70;
        const r = gd.getBoundingClientRect();
        const below = r.bottom - innerHeight + 8;  // scroll so the whole chart fits, or at least its bottom shows
        main.scrollBy(0, r.height + 8 <= innerHeight - top ? r.top - top : below);
    }""")
    page.wait_for_timeout(300)


def press(page, label: str) -> None:
    page.locator(f"{CHART} .updatemenu-button", has_text=label).first.click()


def clip(page, box: dict) -> dict:
    """A box (left/top/width/height or x/y/width/height, viewport pixels) cut to the viewport, for screenshots."""
    x, y = box.get("x", box.get("left")), box.get("y", box.get("top"))
    size = page.viewport_size
    left, top = max(0.0, x), max(0.0, y)
    right, bottom = min(size["width"], x + box["width"]), min(size["height"], y + box["height"])
    assert right - left > 20 and bottom - top > 20, f"the box {box} is off screen"
    return {"x": left, "y": top, "width": right - left, "height": bottom - top}


def differing(one: bytes, other: bytes) -> float:
    """The share of pixels that differ between two screenshots of the same size."""
    _, _, rows_one = bs.decode_png(one)
    _, _, rows_other = bs.decode_png(other)
    pairs = [(a, b) for row_a, row_b in zip(rows_one, rows_other) for a, b in zip(row_a[::2], row_b[::2])]
    return sum(max(abs(p - q) for p, q in zip(a, b)) > 24 for a, b in pairs) / max(1, len(pairs))


def overlap(a: dict, b: dict) -> bool:
    return min(a["right"], b["right"]) - max(a["left"], b["left"]) > 0.5 and \
        min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 0.5


def glyphs(box: dict) -> dict:
    """A line of text's box without its leading (the box is the line's height, about 1.2 × the glyphs')."""
    trim = 0.12 * (box["bottom"] - box["top"])
    return dict(box, top=box["top"] + trim, bottom=box["bottom"] - trim)


def inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return inner["left"] >= outer["left"] - slack and inner["right"] <= outer["right"] + slack and \
        inner["top"] >= outer["top"] - slack and inner["bottom"] <= outer["bottom"] + slack


def no_sideways_scroll(page, where: str) -> None:
    sizes = page.evaluate(JS_OVERFLOW)
    assert sizes["body"] <= sizes["viewport"] + 1 and sizes["main"] <= sizes["mainClient"] + 1, \
        f"{where}: the page scrolls sideways: {sizes}"


def legend_is_clear(state: dict, where: str) -> None:
    """No legend entry on an axis title, on another entry or (with a player) on the slider; the chart on screen."""
    view = {"left": 0, "top": -1e9, "right": state["viewport"]["width"], "bottom": 1e9}
    assert inside(state["chart"], view), f"{where}: the chart is wider than the screen: {state['chart']}"
    legend = [(f"legend entry {t['text']!r}", t["box"]) for t in state["legend"]]
    for name, box in legend:
        assert inside(box, state["chart"]), f"{where}: {name} is cut off: {box} (chart {state['chart']})"
        for title in state["xtitles"]:
            assert not overlap(glyphs(box), glyphs(title["box"])), f"{where}: {name} covers axis title {title['text']!r}"
        if state["slider"]:
            assert not overlap(box, state["slider"]), \
                f"{where}: {name} is drawn over the slider: {box} (slider {state['slider']})"
    for (one, a), (other, b) in zip(legend, legend[1:]):
        assert not overlap(glyphs(a), glyphs(b)), f"{where}: {one} covers {other}"


def layout_is_clean(state: dict, where: str) -> None:
    """The Play/Pause buttons, the slider's "iteration k", the axis titles and the legend do not overlap; the
    slider's label and the buttons are on screen; every map (a layout image) lies whole inside the chart."""
    view = {"left": 0, "top": -1e9, "right": state["viewport"]["width"], "bottom": 1e9}
    assert [b["text"] for b in state["buttons"]] == ["▶ Play", "❚❚ Pause"], (where, state["buttons"])
    assert state["currentBox"] and state["currentBox"]["width"] > 10, f"{where}: no 'iteration k' label"
    texts = [("the slider's label", state["currentBox"])] + [(f"axis title {t['text']!r}", t["box"])
                                                            for t in state["xtitles"]]
    texts += [(f"legend entry {t['text']!r}", t["box"]) for t in state["legend"]]
    for button in state["buttons"]:
        assert inside(button["box"], view), f"{where}: {button['text']} is off screen: {button['box']}"
        assert inside(button["box"], state["chart"]), f"{where}: {button['text']} sticks out of the chart"
        for name, box in texts:
            assert not overlap(button["box"], box), f"{where}: {button['text']} covers {name}: {button['box']} {box}"
    for name, box in texts[1:]:
        assert not overlap(glyphs(state["currentBox"]), glyphs(box)), f"{where}: the slider's label covers {name}"
    legend_is_clear(state, where)
    assert inside(state["currentBox"], state["chart"]) and inside(state["currentBox"], view), \
        f"{where}: the slider's label is cut off: {state['currentBox']} (chart {state['chart']})"
    for image in state["images"]:
        assert inside(image["box"], state["chart"]), f"{where}: a map is cropped: {image['box']} {state['chart']}"
        assert inside(image["box"], view), f"{where}: a map is off screen: {image['box']}"
        assert image["box"]["width"] >= 100, f"{where}: a map is {image['box']['width']:.0f} px wide"


# --- the tests -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("setup", list(SETUPS))
def test_decision_regions_play_and_pause(browser, app_url, setup):
    context, page = open_network(browser, app_url, setup)
    try:
        bs.not_broken(page, f"{setup}: on load", errors=True)
        choose_view(page, "Decision regions")
        state = wait_for_chart(page, images=4, frames=True)
        assert state["frames"] == 51, state["frames"]
        show_chart(page)
        state = chart(page)
        _save(page.screenshot(), f"regions_{setup}")
        layout_is_clean(state, f"{setup}, decision regions")
        no_sideways_scroll(page, f"{setup}, decision regions")
        assert iteration(state) == 1000 and not state["running"]  # shown at the last kept iteration
        first_map = clip(page, state["images"][0]["box"])
        before, before_hrefs = page.screenshot(clip=first_map), [i["href"] for i in state["images"]]

        press(page, "Play")
        page.wait_for_timeout(250)
        playing, during = page.screenshot(clip=first_map), chart(page)  # early in the training: SGD's map unlike its last
        assert during["running"], f"{setup}: Play did not start the animation"
        assert [i["href"] for i in during["images"]] != before_hrefs
        share = differing(before, playing)
        assert share > 0.03, f"{setup}: the first map looks the same at iteration {iteration(during)} ({share:.1%})"
        seen, hrefs = [iteration(during)], {during["images"][0]["href"]}
        for _ in range(12):
            page.wait_for_timeout(100)
            now = chart(page)
            if now["running"]:
                seen.append(iteration(now))
                hrefs.add(now["images"][0]["href"])
        assert len(seen) >= 5, f"{setup}: Play did not animate ({seen})"
        assert seen == sorted(seen) and seen[-1] > seen[0], f"{setup}: the iteration did not go up: {seen}"
        assert seen[0] < 1000, seen  # Play from the last frame starts again from the first
        assert len(hrefs) >= 3, f"{setup}: the maps did not change during playback ({len(hrefs)} pictures)"
        _save(page.screenshot(), f"regions_playing_{setup}")

        press(page, "Pause")
        page.wait_for_timeout(200)
        paused = chart(page)
        page.wait_for_timeout(700)
        later = chart(page)
        assert not later["running"], f"{setup}: Pause did not stop the animation"
        assert iteration(paused) == iteration(later) < 1000, (iteration(paused), iteration(later))
        assert [i["href"] for i in paused["images"]] == [i["href"] for i in later["images"]]
        bs.not_broken(page, f"{setup}: after Play and Pause", errors=True)
    finally:
        context.close()


@pytest.mark.parametrize("setup", list(SETUPS))
def test_the_landscape_stays_drawn_while_playing(browser, app_url, setup):
    context, page = open_network(browser, app_url, setup)
    try:
        choose_view(page, "Landscape")
        state = wait_for_chart(page, images=1, frames=True)
        show_chart(page)
        state = chart(page)
        _save(page.screenshot(), f"landscape_{setup}")
        no_sideways_scroll(page, f"{setup}, landscape")
        picture = state["images"][0]["href"]
        assert picture.startswith("data:image/png")
        plot = clip(page, state["plot"])
        still = bs.pixel_stats(page.screenshot(clip=plot), step=4)
        assert still["white"] < 0.05 and still["distinct"] > 50, still

        press(page, "Play")
        samples = []
        for _ in range(4):
            page.wait_for_timeout(250)
            now = chart(page)
            png = page.screenshot(clip=plot)
            if not now["running"]:
                continue
            samples.append(iteration(now))
            assert [i["href"] for i in now["images"]] == [picture], f"{setup}: the landscape picture changed or went"
            stats = bs.pixel_stats(png, step=4)
            assert stats["white"] < 0.05, f"{setup}: the plot area is blank at iteration {samples[-1]}: {stats}"
            # the plot area's centre pixel: part of the picture, not the white page
            _, height, rows = bs.decode_png(png)
            r, g, b = rows[height // 2][len(rows[0]) // 2]
            assert min(r, g, b) < 250, f"{setup}: the plot area's centre is white at iteration {samples[-1]}"
        assert len(samples) >= 2 and samples == sorted(samples) and samples[-1] > samples[0], \
            f"{setup}: the landscape did not play: {samples}"
        _save(page.screenshot(), f"landscape_playing_{setup}")
        press(page, "Pause")
        page.wait_for_timeout(300)
        assert not chart(page)["running"]
        bs.not_broken(page, f"{setup}: landscape after Play and Pause", errors=True)
    finally:
        context.close()


@pytest.mark.parametrize("setup", ["desktop", "projector", "phone"])
def test_the_landscape_layout_is_clean(browser, app_url, setup):
    context, page = open_network(browser, app_url, setup)
    try:
        choose_view(page, "Landscape")
        wait_for_chart(page, images=1, frames=True)
        show_chart(page)
        state = chart(page)
        assert len(state["images"]) == 1
        layout_is_clean(state, f"{setup}, landscape")
        plot = state["plot"]
        image = state["images"][0]["box"]  # the picture covers the plot area (no white margin inside the axes)
        assert abs(image["left"] - plot["x"]) <= 2 and abs(image["width"] - plot["width"]) <= 3, (image, plot)
        assert abs(image["top"] - plot["y"]) <= 2 and abs(image["height"] - plot["height"]) <= 3, (image, plot)
    finally:
        context.close()


@pytest.mark.parametrize("setup", [
    "desktop", "projector", "phone"])
def test_the_loss_curves_layout_is_clean(browser, app_url, setup):
    context, page = open_network(browser, app_url, setup)
    try:
        show_chart(page)
        state = chart(page)
        _save(page.screenshot(), f"loss_{setup}")
        assert [t["text"] for t in state["legend"]] == ["1 SGD", "2 Momentum", "3 AdaGrad", "4 Adam"]
        assert len(state["xtitles"]) == 2  # the loss and the validation accuracy, each over the iterations
        legend_is_clear(state, f"{setup}, loss curves")
        no_sideways_scroll(page, f"{setup}, loss curves")
        bs.not_broken(page, f"{setup}, loss curves", errors=True)
        assert any(t["text"] == "validation accuracy" for t in state["right"]), state["right"]
        for text in state["right"]:  # the right panel's words stay off the left panel's curves
            assert not overlap(glyphs(text["box"]), state["plotBox"]), \
                f"{setup}: the accuracy panel's {text['text']!r} is drawn over the loss curves: {text['box']} " \
                f"(loss plot {state['plotBox']})"
    finally:
        context.close()


def test_a_projector_link_to_the_network_tab_folds_the_sidebar(browser, app_url):
    context, page = open_network(browser, app_url, "projector")  # its own context: no remembered sidebar state
    try:
        try:
            page.wait_for_function(f"() => ({bs.JS_SIDEBAR_ON_SCREEN})().right <= 10", timeout=8_000, polling=100)
        except Exception:  # playwright's TimeoutError: reported below
            pass
        sidebar = bs.sidebar_on_screen(page)
        assert sidebar["right"] <= 10, f"projector mode left the sidebar open on the Network tab: {sidebar}"
    finally:
        context.close()
