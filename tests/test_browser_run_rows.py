"""The run rows above the tabs in a real browser: Debian's Chromium driven by Playwright against ``streamlit run app.py``.

The rows are one Streamlit components-v2 component (``ui/run_rows.py``, ``ui/run_rows_web/run_rows.js``, no iframe):
a ``.rr-row[data-run=<id>]`` per run with its badge, optimizer, learning rate on the rule's grid, the "stable" /
"edge" learning rates, its main other hyperparameter and "⋯" (its rarer settings and "Remove this run").  These tests
do what a teacher does (a key on a slider, a click, a select box) and check the effect where a viewer sees it: the
row's own text, the stage's legend and paths (``ui/stage_web/stage.js``), the URL, the focus, bounding boxes and
pixels; never only that a control exists.

Skipped (reason printed) when Chromium or Playwright is missing, unless REQUIRE_BROWSER=1, where that is an error.
Screenshots go to tests/browser/screenshots/ (gitignored) and, when RUN_ROWS_SHOTS names a folder, there too.

    .venv/bin/python -m pytest -q -p no:cacheprovider tests/test_browser_run_rows.py
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

import browser_support as bs  # tests/browser_support.py (pytest puts tests/ on sys.path)

pytestmark = pytest.mark.browser
sync_playwright = bs.playwright_or_skip()  # skips the module (fails it with REQUIRE_BROWSER=1) without Chromium

DESKTOP = {"width": 1400, "height": 1000}
PROJECTOR = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}
BOOK_LABELS = ["SGD lr=0.95", "Momentum lr=0.1", "AdaGrad lr=1.5", "Adam lr=0.3"]
BOOK_OPTIMIZERS = ["SGD", "Momentum", "AdaGrad", "Adam"]
BOOK_RUNS = ["sgd:lr=0.95", "momentum:lr=0.1", "adagrad:lr=1.5", "adam:lr=0.3"]  # the URL's run= values
WARN_RED = "rgb(198, 40, 40)"  # .rr-button.rr-warn (#C62828, run_rows.css)


@pytest.fixture
def open_page(browser):
    """open_page(url, viewport, **context_options) -> a fresh page there (its own browser context: Streamlit keeps
    the sidebar's folding in the browser's storage), the stage and the run rows drawn; closed after the test."""
    contexts = []

    def opener(url: str, viewport: dict = DESKTOP, **options):
        context = browser.new_context(viewport=viewport, **options)
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = bs.open_app(context, url, timeout=90_000)
        bs.wait_for_run_rows(page)
        return page

    yield opener
    for context in contexts:
        context.close()


def _save(png: bytes, name: str) -> None:
    bs.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (bs.SCREENSHOTS / name).write_bytes(png)
    extra = os.environ.get("RUN_ROWS_SHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        (Path(extra) / name).write_bytes(png)


def _legend(page) -> list:
    return bs.stage_state(page)["legend"]


def _wait_for_legend(page, want: list, timeout: float = 60_000) -> None:
    """Until the stage's legend reads ``want`` (its entries with a swatch, in order), the script is done and the
    stage's chart has drawn the rerun's data."""
    js = (f"(want) => JSON.stringify(Array.from(document.querySelectorAll('{bs.STAGE} .stage-legend .stage-legend-item'))"
          ".filter(item => item.querySelector('.stage-swatch')).map(item => item.textContent)) === JSON.stringify(want)")
    try:
        page.wait_for_function(js, arg=want, timeout=timeout, polling=50)
    except Exception:  # playwright's TimeoutError: say what the legend reads
        raise AssertionError(f"the stage's legend reads {_legend(page)}, not {want}") from None
    bs.wait_for_script_done(page, timeout=timeout)
    bs.wait_for_stage(page)
    # the stage sets data-revision once its canvas has the new paths and data-drawn once Plotly has them too
    page.wait_for_function(f"() => {{ const d = document.querySelector('{bs.STAGE}').dataset;"
                           " return d.revision && d.drawn === d.revision; }", timeout=timeout, polling=50)


def _runs_in_url(page) -> list:
    return parse_qs(urlparse(page.url).query).get("run", [])


def _wait_for_url_runs(page, want: list, timeout: float = 30_000) -> None:
    """Until the URL's run= parameters are ``want``."""
    js = ("(want) => JSON.stringify(new URLSearchParams(location.search).getAll('run')) === JSON.stringify(want)")
    try:
        page.wait_for_function(js, arg=want, timeout=timeout, polling=50)
    except Exception:  # playwright's TimeoutError
        raise AssertionError(f"the URL's runs are {_runs_in_url(page)}, not {want}") from None


def _focused(page):
    """The run row control that has the keyboard's focus: (run id, data-name or data-action), or None."""
    return page.evaluate("""() => {
        const a = document.activeElement, row = a && a.closest('.rr-row');
        return row ? [Number(row.dataset.run), a.dataset.name || a.dataset.action || a.tagName] : null;
    }""")


def _shown_lr(page, run_id) -> str:
    return bs.run_row(page, run_id).locator(".rr-slider.rr-lr .rr-value").text_content()


JS_BOXES = """(selector) => Array.from(document.querySelectorAll(selector)).map(e => {
    const r = e.getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height,
            name: e.className};
})"""


def _boxes(page, selector: str) -> list:
    return page.evaluate(JS_BOXES, selector)


def _overlap(a: dict, b: dict) -> bool:
    return min(a["right"], b["right"]) - max(a["left"], b["left"]) > 0.5 and \
        min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 0.5


# Each row's shown parts (the empty places of a row without a cue or a main slider have no height and are left
# out): their boxes, and whether any text is cut (an element narrower than its content).
JS_ROW_PARTS = f"""() => Array.from(document.querySelectorAll('{bs.RUN_ROW}')).map(row => {{
    const box = e => {{ const r = e.getBoundingClientRect();
                        return {{left: r.left, top: r.top, right: r.right, bottom: r.bottom, name: e.className}}; }};
    const parts = Array.from(row.children).filter(e => e.getBoundingClientRect().height > 0).map(box);
    const cut = Array.from(row.querySelectorAll('.rr-badge, .rr-button, .rr-value, .rr-symbol, .rr-label, select'))
        .filter(e => e.getBoundingClientRect().width > 0 && e.scrollWidth > e.clientWidth + 1)
        .map(e => e.className + ' ' + JSON.stringify(e.textContent) + ' ' + e.scrollWidth + ' > ' + e.clientWidth);
    return {{id: Number(row.dataset.run), row: box(row), parts, cut}};
}})"""


def _check_rows_laid_out(page, where: str) -> list:
    """No part of a row runs out of it or covers another part, no text is cut; returns the rows' parts."""
    rows = page.evaluate(JS_ROW_PARTS)
    for row in rows:
        assert not row["cut"], f"{where}: run {row['id']}'s row cuts text: {row['cut']}"
        for part in row["parts"]:
            assert part["left"] >= row["row"]["left"] - 1 and part["right"] <= row["row"]["right"] + 1, \
                f"{where}: run {row['id']}'s {part['name']!r} runs out of its row: {part} in {row['row']}"
        for i, a in enumerate(row["parts"]):
            for b in row["parts"][i + 1:]:
                assert not _overlap(a, b), f"{where}: run {row['id']}'s {a['name']!r} covers {b['name']!r}: {a}, {b}"
    for a, b in zip(rows, rows[1:]):
        assert a["row"]["bottom"] <= b["row"]["top"] + 0.5, f"{where}: rows {a['id']} and {b['id']} overlap"
    return rows


def _colour_share(png: bytes, colour: str, tol: int = 3) -> float:
    """The share of a screenshot's pixels within ``tol`` of ``colour`` (as the browser computes it)."""
    want = bs.rgb(colour)
    _, _, rows = bs.decode_png(png)
    pixels = [p for row in rows for p in row]
    return sum(1 for p in pixels if all(abs(a - b) <= tol for a, b in zip(p, want))) / max(len(pixels), 1)


def _expander_with_rows(page):
    return page.locator("[data-testid=stExpander]").filter(has=page.locator(".st-key-run_rows"))


def _open_rows_expander(page, where: str):
    """The expander the rows fold into (projector mode, a phone): closed at first, its title naming the runs'
    optimizers; opened here.  Returns it."""
    expander = _expander_with_rows(page)
    assert expander.count() == 1, f"{where}: the run rows are not in an expander"
    title = expander.locator("summary").first.inner_text()
    assert "Runs: SGD, Momentum, AdaGrad, Adam" in title, f"{where}: the expander's title reads {title!r}"
    assert not page.locator(bs.RUN_ROWS).first.is_visible(), f"{where}: the rows' expander is open at first"
    expander.locator("summary").first.click()
    page.locator(bs.RUN_ROWS).first.wait_for(state="visible", timeout=10_000)
    page.wait_for_timeout(400)  # its opening transition
    return expander


# --- the default page -------------------------------------------------------------------------------------------


def test_default_rows_match_the_runs_and_fit_with_the_chart(open_page, app_url):
    """At 1400 × 1000: four rows, badges 1–4 each in exactly its run's colour (the legend swatch's and the path's,
    in the DOM and in the badge's pixels), SGD / Momentum / AdaGrad / Adam with their learning rates, μ and β₁ as the
    main sliders; the sliders lined up like a table's columns; the chart and every row on screen together, unscrolled."""
    page = open_page(app_url)
    rows = bs.run_rows_state(page)
    assert [row["number"] for row in rows] == ["1", "2", "3", "4"], rows
    assert [row["optimizer"] for row in rows] == BOOK_OPTIMIZERS, rows
    assert [row["lr"] for row in rows] == ["0.95", "0.1", "1.5", "0.3"], rows
    assert [row["lrText"] for row in rows] == [row["lr"] for row in rows]
    assert [row["main"] and (row["main"]["name"], row["main"]["symbol"], row["main"]["value"]) for row in rows] \
        == [None, ("mu", "μ", "0.9"), None, ("beta1", "β₁", "0.9")], rows
    assert [row["cue"] is not None for row in rows] == [True, True, False, False], rows  # GD, heavy ball: a limit
    assert rows[0]["cue"]["stable"] == "stable" and not rows[0]["cue"]["warn"], rows[0]["cue"]

    state = bs.stage_state(page)
    assert state["legend"] == BOOK_LABELS
    swatches = page.evaluate(f"""() => Array.from(document.querySelectorAll('{bs.STAGE} .stage-legend .stage-swatch'))
        .map(s => getComputedStyle(s).backgroundColor)""")[:4]
    paths = [bs.canonical_colour(page, trace["colour"]) for trace in bs.path_traces(state)]
    assert [row["colour"] for row in rows] == swatches == paths, (rows, swatches, paths)
    assert len(set(paths)) == 4, paths
    for row in rows:  # the pixels: most of the badge is its run's colour (the rest: its number, antialiasing)
        png = bs.run_row(page, row["id"]).locator(".rr-badge").screenshot()
        share = _colour_share(png, row["colour"])
        assert share >= 0.5, f"run {row['number']}'s badge is only {share:.0%} {row['colour']}"
        assert row["ink"] in ("rgb(0, 0, 0)", "rgb(255, 255, 255)"), row

    # on screen together, nothing scrolled: every row, and the chart (the plotting area and its bar)
    assert page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollTop") == 0
    chart = _boxes(page, f"{bs.STAGE} .stage-chart")[0]
    plot = bs.plot_box(page)
    boxes = _boxes(page, bs.RUN_ROW)
    assert len(boxes) == 4
    for box in boxes + [chart]:
        assert box["top"] >= 0 and box["bottom"] <= DESKTOP["height"] and box["left"] >= 0 \
            and box["right"] <= DESKTOP["width"], f"{box['name']!r} is not all on screen: {box}"
    assert plot["y"] + plot["height"] <= DESKTOP["height"], f"the plotting area runs off the screen: {plot}"
    assert boxes[-1]["bottom"] <= chart["top"], f"the rows run into the chart: {boxes[-1]}, {chart}"

    _check_rows_laid_out(page, "1400 × 1000")
    for selector in (".rr-slider.rr-lr", ".rr-cue", ".rr-more"):  # a table's columns
        lefts = [box["left"] for box in _boxes(page, f"{bs.RUN_ROW} > {selector}")]
        assert max(lefts) - min(lefts) <= 1, f"the rows' {selector} do not line up: {lefts}"
    mains = [box["left"] for box in _boxes(page, f"{bs.RUN_ROW} > .rr-slider.rr-main")]
    assert len(mains) == 2 and abs(mains[0] - mains[1]) <= 1, mains
    bs.not_broken(page, "default page")
    _save(page.locator(".st-key-run_rows").screenshot(), "run_rows_1400.png")
    _save(page.screenshot(), "run_rows_1400_page.png")


# --- the learning rate from the keyboard --------------------------------------------------------------------------


def test_arrow_keys_move_the_learning_rate_and_keep_the_focus(open_page, app_url):
    """The first row's lr slider focused, → shows the next grid value at once; the stage's legend and SGD's path
    follow, the other runs do not change; the slider keeps the focus through the rerun, so a second → moves it
    again; the URL's run= follows.  ← goes back."""
    page = open_page(app_url, DESKTOP)
    before = bs.stage_state(page)
    slider = bs.run_control(page, "lr", 0)
    index = int(slider.input_value())
    slider.focus()
    expected = [("ArrowRight", "0.96", index + 1), ("ArrowRight", "0.97", index + 2), ("ArrowLeft", "0.96", index + 1)]
    for key, lr, at in expected:
        page.keyboard.press(key)
        assert _shown_lr(page, 0) == lr, f"{key}: the row shows {_shown_lr(page, 0)!r} at once, not {lr!r}"
        assert slider.get_attribute("aria-valuetext") == lr
        _wait_for_legend(page, [f"SGD lr={lr}"] + BOOK_LABELS[1:])
        _wait_for_url_runs(page, [f"sgd:lr={lr}"] + BOOK_RUNS[1:])
        assert _focused(page) == [0, "lr"], f"after {key} and its rerun the focus is on {_focused(page)}"
        assert int(slider.input_value()) == at and _shown_lr(page, 0) == lr, (slider.input_value(), _shown_lr(page, 0))
    after = bs.stage_state(page)
    old, new = bs.path_traces(before), bs.path_traces(after)
    assert (new[0]["x"], new[0]["y"]) != (old[0]["x"], old[0]["y"]), "SGD's path did not change"
    assert [(t["x"], t["y"]) for t in new[1:]] == [(t["x"], t["y"]) for t in old[1:]], "another run's path changed"
    assert [row["lr"] for row in bs.run_rows_state(page)] == ["0.96", "0.1", "1.5", "0.3"]
    bs.not_broken(page, "after the arrow keys")


JS_WATCH_REVISIONS = f"""() => {{
    window.__revisions = [];
    window.__legends = {{}};  // the legend's first entry as each revision was set
    new MutationObserver(() => {{
        const stage = document.querySelector('{bs.STAGE}');
        window.__revisions.push(stage.dataset.revision);
        const first = stage.querySelector('.stage-legend-item');
        window.__legends[stage.dataset.revision] = first ? first.textContent : null;
    }}).observe(document.querySelector('{bs.STAGE}'), {{attributes: true, attributeFilter: ['data-revision']}});
}}"""


def test_the_stage_shows_the_next_learning_rates_path_before_the_rerun_brings_it(open_page, app_url):
    """Python sends each run's path at its slider's two neighbouring learning rates (ui/views.lr_previews); at
    the key press the stage shows the one the slider moved to (revision "…:preview"), and then the rerun's own
    data, whose path is the same, replaces it.  Moved twice before a rerun could answer, or to a lr that has no
    preview, the stage simply waits for the rerun."""
    page = open_page(app_url, DESKTOP)
    page.evaluate(JS_WATCH_REVISIONS)
    before = page.evaluate(f"() => document.querySelector('{bs.STAGE}').dataset.revision")
    slider = bs.run_control(page, "lr", 0)
    slider.focus()
    page.keyboard.press("ArrowRight")
    _wait_for_legend(page, ["SGD lr=0.96"] + BOOK_LABELS[1:])
    page.wait_for_function("() => window.__revisions.some((r) => !r.endsWith(':preview') && r !== '%s')" % before)
    seen = page.evaluate("() => window.__revisions")
    first_real = next(i for i, r in enumerate(seen) if not r.endswith(":preview") and r != before)
    assert f"{before}:preview" in seen[:first_real], seen  # the preview came first, from the data already there
    legends = page.evaluate("() => window.__legends")
    assert legends[f"{before}:preview"] == "SGD lr=0.96", legends  # the legend names the lr the class now sees
    assert not seen[-1].endswith(":preview"), seen  # and the rerun's data is what stays
    bs.not_broken(page, "after a previewed lr change")


# --- "⋯": the rarer settings, bias correction, Remove this run ---------------------------------------------------------


def test_more_opens_the_runs_rarer_settings_and_removes_the_run(open_page, app_url):
    """Adam's "⋯" opens its panel under the row (aria-expanded) with β₂ and ε sliders, ε's placement and a
    bias-correction switch; switching bias correction off changes the run (URL, legend, path) and the panel stays
    open through the rerun; "Remove this run" removes the row and the run's legend entry."""
    page = open_page(app_url, DESKTOP)
    adam = 3
    row = bs.run_row(page, adam)
    more = bs.run_control(page, "more", adam)
    assert more.get_attribute("aria-expanded") == "false" and row.locator(".rr-panel").count() == 0
    more.click()
    panel = row.locator(".rr-panel")
    panel.wait_for(state="visible", timeout=10_000)
    assert more.get_attribute("aria-expanded") == "true"
    assert panel.locator(".rr-panel-title").inner_text() == "Run 4: Adam"
    for name in ("beta2", "eps"):
        slider = panel.locator(f".rr-slider.rr-full input[type=range][data-name='{name}']")
        assert slider.count() == 1 and slider.is_visible(), f"no {name} slider in Adam's panel"
        assert slider.get_attribute("aria-valuetext"), name
    assert panel.locator("input[data-name='beta2']").get_attribute("aria-valuetext") == "0.999"
    assert panel.locator("select[data-name='eps_placement']").count() == 1
    switch = panel.locator(".rr-toggle input[type=checkbox][data-name='bias_correction']")
    assert switch.is_visible() and switch.is_checked()
    assert panel.locator("button.rr-remove").inner_text() == "Remove this run"
    assert bs.run_rows_state(page)[0]["open"] is False, "another row's panel opened too"
    # the panel lies under its row's controls, inside the row, above nothing else
    head, panel_box = row.locator(".rr-head").bounding_box(), panel.bounding_box()
    assert panel_box["y"] >= head["y"] + head["height"] - 1, (head, panel_box)
    _save(page.locator(".st-key-run_rows").screenshot(), "run_rows_panel.png")

    old_path = bs.path_traces(bs.stage_state(page))[adam]
    bs.after_rerun(page, switch.click)
    _wait_for_legend(page, BOOK_LABELS[:3] + ["Adam lr=0.3 bias_correction=off"])
    _wait_for_url_runs(page, BOOK_RUNS[:3] + ["adam:lr=0.3,bias_correction=0"])
    new_path = bs.path_traces(bs.stage_state(page))[adam]
    assert (new_path["x"], new_path["y"]) != (old_path["x"], old_path["y"]), "Adam's path did not change"
    assert more.get_attribute("aria-expanded") == "true" and panel.is_visible(), "the panel closed after the rerun"
    assert not switch.is_checked(), "the switch went back on"

    remove = panel.locator("button.rr-remove")
    bs.after_rerun(page, remove.click)
    bs.wait_for_run_rows(page, 3)
    _wait_for_legend(page, BOOK_LABELS[:3])
    assert [row["id"] for row in bs.run_rows_state(page)] == [0, 1, 2]
    assert [row["optimizer"] for row in bs.run_rows_state(page)] == BOOK_OPTIMIZERS[:3]
    _wait_for_url_runs(page, BOOK_RUNS[:3])
    bs.not_broken(page, "after removing Adam")


# --- the optimizer ---------------------------------------------------------------------------------------------------


def test_changing_the_optimizer_changes_the_row_and_the_legend(open_page, app_url):
    """AdaGrad → Momentum in the third row's select box: the row shows μ as its main slider and the stable / edge
    learning rates (heavy ball has a limit), keeps its number, and its badge takes the new run's colour (its legend
    swatch's); the legend and the URL follow."""
    page = open_page(app_url, DESKTOP)
    before = bs.run_rows_state(page)[2]
    assert before["optimizer"] == "AdaGrad" and before["main"] is None and before["cue"] is None
    bs.set_run_value(page, 2, "optimizer", "Momentum")
    page.wait_for_function(f"() => {{ const items = Array.from(document.querySelectorAll("
                           f"'{bs.STAGE} .stage-legend .stage-legend-item')).filter(i => i.querySelector('.stage-swatch'));"
                           " return items.length === 4 && items[2].textContent.startsWith('Momentum lr='); }",
                           timeout=60_000, polling=50)
    bs.wait_for_script_done(page)
    legend = _legend(page)
    assert legend[:2] == BOOK_LABELS[:2] and legend[3] == BOOK_LABELS[3], legend
    after = bs.run_rows_state(page)[2]
    assert after["optimizer"] == "Momentum", after
    assert after["main"] is not None and (after["main"]["name"], after["main"]["symbol"]) == ("mu", "μ"), after
    assert after["cue"] is not None, "Momentum's row has no stable / edge buttons"
    # a run's colour is its optimizer's (viz/styles.run_style), a second Momentum a shade of it: the badge follows,
    # the same as its legend swatch and path, unlike the first Momentum's
    swatches = page.evaluate(f"""() => Array.from(document.querySelectorAll('{bs.STAGE} .stage-legend .stage-swatch'))
        .map(s => getComputedStyle(s).backgroundColor)""")[:4]
    path = bs.canonical_colour(page, bs.path_traces(bs.stage_state(page))[2]["colour"])
    assert after["number"] == before["number"] and after["colour"] == swatches[2] == path, (after, swatches, path)
    assert after["colour"] != bs.run_rows_state(page)[1]["colour"], "both Momentum runs have the same colour"
    assert legend[2] == f"Momentum lr={after['lr']}", (legend, after)
    assert bs.run_row(page, 2).locator(".rr-main-none").count() == 0
    runs = _runs_in_url(page)
    assert len(runs) == 4 and runs[2].startswith("momentum:"), runs
    _check_rows_laid_out(page, "after AdaGrad → Momentum")
    mains = [box["left"] for box in _boxes(page, f"{bs.RUN_ROW} > .rr-slider.rr-main")]
    assert len(mains) == 3 and max(mains) - min(mains) <= 1, f"the μ sliders do not line up: {mains}"
    bs.not_broken(page, "after AdaGrad → Momentum")


# --- "stable" past the limit ------------------------------------------------------------------------------------------


def test_stable_warns_past_the_limit_and_brings_the_lr_back(open_page, app_url):
    """SGD's lr pushed to the grid's end (past 2/λmax = 1 on the bowl): "stable" turns red with a ⚠ (DOM and
    pixels) and "⋯" says why in red; one click on it brings the lr back to 0.99, below 1, and the warning goes."""
    page = open_page(app_url, DESKTOP)
    slider = bs.run_control(page, "lr", 0)
    stable = bs.run_control(page, "stable", 0)
    assert stable.inner_text() == "stable" and "rr-warn" not in stable.get_attribute("class")
    slider.focus()
    bs.after_rerun(page, lambda: page.keyboard.press("End"))
    page.wait_for_function("() => document.querySelector(\".rr-row[data-run='0'] button[data-action=stable]\")"
                           ".classList.contains('rr-warn')", timeout=60_000, polling=50)
    bs.wait_for_script_done(page)
    pushed = float(_shown_lr(page, 0))
    assert pushed > 1, f"End put SGD's lr at {pushed}"
    _wait_for_legend(page, [f"SGD lr={_shown_lr(page, 0)}"] + BOOK_LABELS[1:])
    cue = bs.run_rows_state(page)[0]["cue"]
    assert cue["warn"] and cue["stable"] == "⚠ stable" and cue["background"] == WARN_RED, cue
    assert _colour_share(stable.screenshot(), WARN_RED, tol=6) >= 0.4, "the warning button is not red on screen"
    assert stable.get_attribute("title").startswith("⚠ lr ="), stable.get_attribute("title")
    bs.open_run_panel(page, 0)
    warning = bs.run_row(page, 0).locator(".rr-stability")
    assert "rr-warn-text" in warning.get_attribute("class") and warning.inner_text().startswith("⚠"), \
        warning.inner_text()
    _save(page.locator(".st-key-run_rows").screenshot(), "run_rows_warning.png")

    bs.after_rerun(page, stable.click)
    _wait_for_legend(page, ["SGD lr=0.99"] + BOOK_LABELS[1:])
    assert _shown_lr(page, 0) == "0.99" and float(_shown_lr(page, 0)) < 1
    row = bs.run_rows_state(page)[0]
    assert not row["cue"]["warn"] and row["cue"]["stable"] == "stable", row["cue"]
    assert row["lrIndex"] < row["lrMax"], row
    assert "rr-warn-text" not in warning.get_attribute("class"), warning.inner_text()
    _wait_for_url_runs(page, ["sgd:lr=0.99"] + BOOK_RUNS[1:])
    bs.not_broken(page, "after stable")


# --- projector, phone, Chinese ----------------------------------------------------------------------------------------

JS_FONT_SIZES = f"""() => Array.from(document.querySelectorAll('{bs.RUN_ROWS} *'))
    .filter(e => e.getBoundingClientRect().width > 0 && (e.tagName === 'SELECT'
                 || Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim())))
    .map(e => [e.tagName + '.' + e.className, e.textContent.trim().slice(0, 20), parseFloat(getComputedStyle(e).fontSize)])"""


def test_projector_mode_folds_the_rows_and_sets_them_large(open_page, app_url):
    """Projector mode (projector=1) at 1920 × 1080: the rows sit in an expander "Runs: SGD, …", closed at first;
    opened, every word in them is at least 20 px, nothing is cut or overlaps, and a row's lr slider still works."""
    page = open_page(app_url + "?projector=1", PROJECTOR)
    assert page.locator(bs.RUN_ROWS).first.evaluate("e => e.classList.contains('rr-projector')")
    expander = _open_rows_expander(page, "projector")
    sizes = page.evaluate(JS_FONT_SIZES)
    assert len(sizes) >= 4 * 3, sizes  # badges, optimizers, values, symbols, buttons
    small = [item for item in sizes if item[2] < 20]
    assert not small, f"words under 20 px in projector mode: {small}"
    badge = bs.run_row(page, 0).locator(".rr-badge").bounding_box()
    assert badge["height"] >= 30, f"the badge is {badge['height']:.0f} px high on a projector"
    _check_rows_laid_out(page, "projector")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PROJECTOR["width"]
    _save(expander.screenshot(), "run_rows_projector.png")
    _save(page.screenshot(), "run_rows_projector_page.png")

    slider = bs.run_control(page, "lr", 0)
    slider.focus()
    page.keyboard.press("ArrowRight")
    _wait_for_legend(page, ["SGD lr=0.96"] + BOOK_LABELS[1:])
    assert _focused(page) == [0, "lr"] and page.locator(bs.RUN_ROWS).first.is_visible(), \
        "the rerun closed the expander or took the focus"
    bs.not_broken(page, "projector")


def test_the_rows_keep_their_open_panel_when_projector_mode_moves_them(open_page, app_url):
    """Projector mode switched on in the middle of a session moves the rows into the expander (a new mount of the
    component, in a new parent) and off again moves them back: Adam's open "⋯" panel stays open both ways, and
    the rows still edit the runs."""
    page = open_page(app_url, DESKTOP)
    adam = 3
    bs.open_run_panel(page, adam)
    toggle = bs.widget(page, "projector").locator("input[type=checkbox]")
    bs.after_rerun(page, lambda: toggle.click(force=True))
    page.wait_for_function(f"() => document.querySelector('{bs.RUN_ROWS}').classList.contains('rr-projector')",
                           timeout=30_000)
    _open_rows_expander(page, "projector switched on")
    assert bs.run_control(page, "more", adam).get_attribute("aria-expanded") == "true", "⋯ closed in the move"
    assert bs.run_row(page, adam).locator(".rr-panel").is_visible()
    assert page.locator(bs.RUN_ROWS).count() == 1, "two sets of rows after the move"
    bs.open_sidebar(page)  # projector mode folded it away
    bs.after_rerun(page, lambda: toggle.click(force=True))
    page.wait_for_function(f"() => !document.querySelector('{bs.RUN_ROWS}').classList.contains('rr-projector')",
                           timeout=30_000)
    assert _expander_with_rows(page).count() == 0, "the rows stayed in the expander"
    assert bs.run_row(page, adam).locator(".rr-panel").is_visible(), "⋯ closed when the rows moved back"
    slider = bs.run_control(page, "lr", 0)
    slider.focus()
    page.keyboard.press("ArrowRight")
    _wait_for_legend(page, ["SGD lr=0.96"] + BOOK_LABELS[1:])
    bs.not_broken(page, "projector mode on and off")


JS_PHONE_ROWS = f"""() => {{
    const box = e => {{ const r = e.getBoundingClientRect();
                        return {{left: r.left, top: r.top, right: r.right, bottom: r.bottom, height: r.height}}; }};
    const wide = Array.from(document.querySelectorAll('{bs.RUN_ROWS}, {bs.RUN_ROWS} *'))
        .filter(e => e.getBoundingClientRect().right > innerWidth + 0.5)
        .map(e => e.className + ' ' + Math.round(e.getBoundingClientRect().right));
    return {{scrollWidth: document.documentElement.scrollWidth, innerWidth, wide,
             rows: Array.from(document.querySelectorAll('{bs.RUN_ROW}')).map(row => ({{
                 head: box(row.querySelector('.rr-head')), more: box(row.querySelector('.rr-more')),
                 lr: box(row.querySelector('.rr-slider.rr-lr')), row: box(row),
                 none: Array.from(row.querySelectorAll('.rr-none')).filter(e => getComputedStyle(e).display !== 'none').length,
             }}))}};
}}"""


def test_phone_rows_wrap_inside_the_expander(open_page, app_url):
    """On a 390 × 844 phone the rows sit in an expander, closed at first; opened, each row wraps (the badge, the
    optimizer and "⋯" on the first line, the lr slider on its own line below), the empty places go, nothing is wider
    than the screen and the page does not scroll sideways; the lr slider still moves the run."""
    page = open_page(app_url, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    expander = _open_rows_expander(page, "phone")
    layout = page.evaluate(JS_PHONE_ROWS)
    assert layout["scrollWidth"] <= PHONE["width"], \
        f"the page scrolls sideways: {layout['scrollWidth']} px; wider than the screen: {layout['wide']}"
    assert not layout["wide"], f"wider than the screen: {layout['wide']}"
    assert len(layout["rows"]) == 4
    for i, row in enumerate(layout["rows"]):
        assert row["lr"]["top"] >= row["head"]["bottom"] - 1, f"row {i + 1}'s lr slider is not below its head: {row}"
        assert abs(row["more"]["top"] - row["head"]["top"]) <= row["head"]["height"], \
            f"row {i + 1}'s ⋯ is not beside its head: {row}"
        assert row["lr"]["right"] - row["lr"]["left"] >= 0.7 * (row["row"]["right"] - row["row"]["left"]), \
            f"row {i + 1}'s lr slider does not take the row's width: {row}"
        assert row["none"] == 0, f"row {i + 1} shows its empty places on a phone"
    _check_rows_laid_out(page, "phone")
    _save(expander.screenshot(), "run_rows_phone.png")

    bs.scroll_stage_into_view(page)  # the rows stay in place; only the stage moves into view
    slider = bs.run_control(page, "lr", 1)
    slider.focus()
    page.keyboard.press("ArrowLeft")
    lower = _shown_lr(page, 1)
    assert float(lower) < 0.1, f"← on Momentum's lr shows {lower}"
    _wait_for_legend(page, [BOOK_LABELS[0], f"Momentum lr={lower}"] + BOOK_LABELS[2:])
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    bs.not_broken(page, "phone")


def test_chinese_words_in_the_rows(open_page, app_url):
    """lang=zh: "stable" / "edge" read 最大稳定 / 稳定边缘, whole (not cut, inside their place); "⋯" opens a panel titled
    in Chinese with 删除此运行."""
    page = open_page(app_url + "?lang=zh", DESKTOP)
    for run_id in (0, 1):
        cue = bs.run_rows_state(page)[run_id]["cue"]
        assert (cue["stable"], cue["edge"]) == ("最大稳定", "稳定边缘"), cue
    cues = _boxes(page, f"{bs.RUN_ROW} > .rr-cue")
    for button in _boxes(page, f"{bs.RUN_ROW} button[data-action=stable], {bs.RUN_ROW} button[data-action=edge]"):
        assert any(box["left"] - 1 <= button["left"] and button["right"] <= box["right"] + 1
                   and box["top"] - 1 <= button["top"] for box in cues), f"a cue button sticks out: {button}"
    _check_rows_laid_out(page, "lang=zh")
    bs.open_run_panel(page, 0)
    panel = bs.run_row(page, 0).locator(".rr-panel")
    assert panel.locator(".rr-panel-title").inner_text() == "运行 1：SGD"
    assert panel.locator("button.rr-remove").inner_text() == "删除此运行"
    _save(page.locator(".st-key-run_rows").screenshot(), "run_rows_zh.png")
    bs.not_broken(page, "lang=zh")
