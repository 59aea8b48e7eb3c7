"""Lesson mode in a real browser (ui/lesson_panel.py, ui/lesson_keys.py): Debian's Chromium driven by Playwright
against ``streamlit run app.py``.

A presentation clicker sends PageDown / PageUp: they move through the steps as Next / Previous do, unless the
focus is in a text field, without taking the stage's own keys (Space, ←/→, Home on the chart), and with one
listener however many reruns.  Reveal shows the answer and the stage's hidden paths.  Every built-in lesson is
played end to end with the clicker; a lesson file served by a local web server opens from a link.  Screenshots
of the panel at 1400×1000 and 1920×1080 (English, Chinese, projector mode) go to tests/browser/screenshots/.

Skipped (reason printed) when Chromium or Playwright is missing, unless REQUIRE_BROWSER=1.

    .venv/bin/pytest -q -m browser tests/test_browser_lessons.py
"""

from __future__ import annotations

import http.server
import re
import threading
import urllib.parse

import pytest

import browser_support as bs  # tests/browser_support.py (pytest puts tests/ on sys.path)
import lessons

pytestmark = pytest.mark.browser
sync_playwright = bs.playwright_or_skip()  # skips the module (fails it with REQUIRE_BROWSER=1) without Chromium

HINT = {"en": "PageUp / PageDown (a clicker) move through the steps", "zh": "PageUp / PageDown（翻页笔）可切换步骤"}
PANEL = ".st-key-lesson_panel"
STEP_TEXT = {"en": re.compile(r"step (\d+) of (\d+)"), "zh": re.compile(r"第 (\d+) 步（共 (\d+) 步）")}

# Counts the clicker's keydown listeners on the page (added minus removed), so reruns are seen not to pile them
# up: ui/lesson_web/keys.js's listener is the one that sends the trigger "press".
JS_COUNT_LISTENERS = """(() => {
    const live = new Set();
    const add = EventTarget.prototype.addEventListener, remove = EventTarget.prototype.removeEventListener;
    const mine = (type, fn) => type === 'keydown' && typeof fn === 'function' && String(fn).includes('"press"');
    EventTarget.prototype.addEventListener = function (type, fn, options) {
        if (mine(type, fn)) live.add(fn);
        return add.call(this, type, fn, options);
    };
    EventTarget.prototype.removeEventListener = function (type, fn, options) {
        if (mine(type, fn)) live.delete(fn);
        return remove.call(this, type, fn, options);
    };
    window.__clickerListeners = () => live.size;
})();"""


@pytest.fixture
def lesson_page(context):
    """lesson_page(url, viewport=None) -> a fresh page (a new session) with the lesson panel drawn and the clicker
    listening; closed after the test.  Unlike bs.open_app it does not wait for the stage: a lesson may start in
    the Explore tab."""
    pages = []

    def make(url: str, viewport: dict | None = None):
        page = context.new_page()
        pages.append(page)
        page.add_init_script(JS_COUNT_LISTENERS)
        if viewport:
            page.set_viewport_size(viewport)
        page.goto(url, wait_until="domcontentloaded", timeout=60_000)
        bs.wait_for_script_done(page, timeout=60_000)
        bs.wait_for_widgets(page, timeout=60_000)
        page.locator(PANEL).first.wait_for(state="visible", timeout=60_000)
        page.locator("[data-lesson-keys=on]").first.wait_for(state="attached", timeout=30_000)
        bs.watch_reruns(page)
        return page

    yield make
    for page in pages:
        page.close()


def lesson_url(app_url: str, **query) -> str:
    return app_url + "?" + urllib.parse.urlencode(query)


def step_shown(page, lang: str = "en") -> tuple:
    """(k, n) of the panel's "step k of n"."""
    text = page.locator(PANEL).first.inner_text()
    found = STEP_TEXT[lang].search(text)
    assert found, text
    return int(found.group(1)), int(found.group(2))


def query_of(page) -> dict:
    return {key: values[0] for key, values in urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query).items()}


def key(page, name: str) -> None:
    """A clicker's key, and the rerun it causes."""
    bs.after_rerun(page, lambda: page.keyboard.press(name))


def alerts(page, kind: str) -> list:
    """The texts of the page's st.warning / st.error / st.success / st.exception boxes (kind: Warning, Error,
    Success, Exception)."""
    selector = f"[data-testid=stAlertContent{kind}]" if kind != "Exception" else "[data-testid=stException]"
    # as read: without the box's icon, and without the invisible word joiner that keeps a URL from being a link
    return [re.sub(r"^[^\w(]*\n+", "", text).replace("\u2060", "") for text in page.locator(selector).all_inner_texts()]


def stage_hidden(page) -> bool | None:
    value = page.evaluate("() => { const r = document.querySelector('.stage'); return r ? r.dataset.hidden : null; }")
    return None if value is None else value == "true"


def wait_for_step_drawn(page, step) -> None:
    """Until the stage shows the step's runs (a Paths step) or the open tab has drawn (another)."""
    if step.place["view"] == "paths":
        labels = [run.label() for run in step.scene.runs]
        page.wait_for_function(
            "(labels) => { const r = document.querySelector('.stage'); if (!r || !r.dataset.drawn) return false;"
            " const items = Array.from(r.querySelectorAll('.stage-legend .stage-legend-item'))"
            "   .filter(i => i.querySelector('.stage-swatch')).map(i => i.textContent);"
            " return JSON.stringify(items) === JSON.stringify(labels) && r.dataset.drawn === r.dataset.revision; }",
            arg=labels, timeout=60_000, polling=100)


# --- the clicker ---------------------------------------------------------------------------------------------


def test_page_down_and_page_up_move_through_the_steps(app_url, lesson_page):
    lesson = lessons.by_id("sgd_slow")
    page = lesson_page(lesson_url(app_url, lesson="sgd_slow"))
    bs.wait_for_stage(page)
    assert step_shown(page) == (1, len(lesson.steps))
    key(page, "PageDown")
    key(page, "PageDown")
    key(page, "PageUp")
    assert step_shown(page) == (2, len(lesson.steps))
    assert query_of(page)["lesson"] == "sgd_slow" and query_of(page)["step"] == "2"
    wait_for_step_drawn(page, lesson.step(2))
    assert bs.stage_state(page)["legend"] == [run.label() for run in lesson.step(2).scene.runs]
    key(page, "PageUp")
    key(page, "PageUp")  # already at the first step: nothing
    assert step_shown(page)[0] == 1 and query_of(page)["step"] == "1" and not alerts(page, "Exception")
    assert page.evaluate("() => window.__clickerListeners()") == 1  # five reruns, one listener


def test_the_clicker_keeps_out_of_text_fields_and_of_the_stages_keys(app_url, lesson_page):
    page = lesson_page(lesson_url(app_url, lesson="momentum", step="2"))
    bs.wait_for_stage(page)
    # typing in a text field: PageDown is the field's (no step, no rerun)
    field = page.locator(".st-key-lesson_url_field input").first
    field.click()
    runs = bs.reruns(page)
    page.keyboard.press("PageDown")
    page.wait_for_timeout(800)
    assert step_shown(page)[0] == 2 and bs.reruns(page) == runs
    field.blur()
    # the stage's keys on the focused chart are the stage's: → one step, Home restarts, Space pauses
    chart = page.locator(".stage .stage-chart").first
    chart.focus()
    start = bs.head(page)
    page.keyboard.press("ArrowRight")
    assert bs.wait_for_head(page, "h === arg", arg=start + 1) == start + 1 and bs.reruns(page) == runs
    page.keyboard.press("Home")
    bs.wait_for_head(page, "p")
    page.keyboard.press(" ")
    bs.wait_for_head(page, "!p")
    assert step_shown(page)[0] == 2 and bs.reruns(page) == runs  # none of them moved the lesson
    # … and the clicker still works with the chart focused
    key(page, "PageDown")
    assert step_shown(page)[0] == 3
    assert page.evaluate("() => window.__clickerListeners()") == 1


def test_reveal_shows_the_answer_and_the_paths(app_url, lesson_page):
    lesson = lessons.by_id("sgd_slow")
    question = lesson.step(1).question
    page = lesson_page(lesson_url(app_url, lesson="sgd_slow", step="1"))
    bs.wait_for_stage(page)
    assert stage_hidden(page) is True and bs.head(page) == 0  # the class guesses first
    assert not alerts(page, "Success")
    bs.after_rerun(page, lambda: page.locator(".st-key-lesson_reveal button").first.click())
    assert alerts(page, "Success") == [f"The answer: {question.choices[question.answer].en}"]
    page.wait_for_function("() => document.querySelector('.stage').dataset.hidden === 'false'", timeout=20_000)
    paths = bs.path_traces(bs.stage_state(page))
    assert paths and all(trace["visible"] is True and len(trace["x"]) > 1 for trace in paths)


@pytest.mark.parametrize("lesson_id", lessons.BUILTIN)
def test_every_built_in_lesson_plays_end_to_end(app_url, lesson_page, lesson_id):
    """Each step with the clicker: it loads without a warning (but the search's edge warning the lesson's text
    points the class to), an error or a traceback; each question reveals its answer, and the paths on the
    stage."""
    lesson = lessons.by_id(lesson_id)
    page = lesson_page(lesson_url(app_url, lesson=lesson_id, step="1"))
    for step in lesson.steps:
        assert step_shown(page) == (step.number, len(lesson.steps))
        wait_for_step_drawn(page, step)
        where = f"{lesson_id} step {step.number}"
        assert not alerts(page, "Exception") and not alerts(page, "Error"), where
        # the one warning a lesson may show is the page's own about its scene, which the search lesson's text
        # points the class to ("Mind the page's warning"): a random search's best value on the edge of its range
        warnings = [warning for warning in alerts(page, "Warning")
                    if not (step.place["explore"] == "random_search" and step.place["view"] == "explore"
                            and "lies on the" in warning and "edge" in warning and "widen the range" in warning)]
        assert not warnings, (where, warnings)
        question = step.question
        if question is not None and question.answer is not None:
            bs.after_rerun(page, lambda: page.locator(".st-key-lesson_reveal button").first.click())
            assert alerts(page, "Success") == [f"The answer: {question.choices[question.answer].en}"], where
            if step.place["view"] == "paths":
                page.wait_for_function("() => document.querySelector('.stage').dataset.hidden === 'false'",
                                       timeout=20_000)
        if step.number < len(lesson.steps):
            key(page, "PageDown")
    key(page, "PageDown")  # the last step: nothing further
    assert step_shown(page)[0] == len(lesson.steps) and not alerts(page, "Exception")
    assert page.evaluate("() => window.__clickerListeners()") == 1


# --- a lesson file on the web ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lesson_server():
    """A local web server for one lesson file: /mine.toml (the built-in momentum lesson under another id)."""
    body = (lessons.BUILTIN_DIR / "momentum.toml").read_text(encoding="utf-8").replace(
        'id = "momentum"', 'id = "my_momentum"').encode("utf-8")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            if self.path != "/mine.toml":
                self.send_error(404, "Not Found")
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_lesson_url_opens_from_a_link_and_from_the_sidebar(app_url, lesson_page, lesson_server):
    momentum = lessons.by_id("momentum")
    address = lesson_server + "/mine.toml"
    page = lesson_page(lesson_url(app_url, lesson=address, step="2"))
    assert step_shown(page) == (2, len(momentum.steps)) and momentum.title.en in page.locator(PANEL).inner_text()
    wait_for_step_drawn(page, momentum.step(2))
    key(page, "PageDown")
    assert query_of(page) == {**query_of(page), "lesson": address, "step": "3"}  # the link to share
    assert "lesson=" + urllib.parse.quote(address, safe="") in page.url  # percent-encoded
    assert not alerts(page, "Warning") and not alerts(page, "Error")
    # the sidebar's field: a missing file is said there, and the lesson stays
    field = page.locator(".st-key-lesson_url_field input").first
    field.fill(lesson_server + "/missing.toml")
    bs.after_rerun(page, lambda: field.press("Enter"))
    [warning] = alerts(page, "Warning")
    assert warning.startswith(f"Lesson URL {lesson_server}/missing.toml: the server answered HTTP 404"), warning
    assert step_shown(page)[0] == 3 and query_of(page)["step"] == "3"


# --- screenshots: the hint is there, and nothing overlaps ---------------------------------------------------

JS_PANEL_BOXES = """(hint) => {
    const panel = document.querySelector('.st-key-lesson_panel');
    const box = e => { const r = e.getBoundingClientRect(); return {x: r.left, y: r.top, w: r.width, h: r.height}; };
    const hintElement = Array.from(panel.querySelectorAll('span, p')).find(e => e.textContent.trim() === hint);
    const buttons = ['lesson_previous', 'lesson_next', 'lesson_leave']
        .map(k => panel.querySelector('.st-key-' + k + ' button')).filter(Boolean).map(box);
    const title = hintElement.closest('[data-testid=stMarkdownContainer]');
    return {panel: box(panel), hint: box(hintElement), title: box(title), buttons,
            clipped: title.scrollWidth > title.clientWidth + 1 || hintElement.scrollWidth > hintElement.clientWidth + 1,
            hintColour: getComputedStyle(hintElement).color, viewport: {w: innerWidth, h: innerHeight}};
}"""


def overlaps(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]


@pytest.mark.parametrize("width, height, lang, projector", [
    (1400, 1000, "en", False), (1400, 1000, "zh", False), (1920, 1080, "en", False), (1920, 1080, "zh", False),
    (1920, 1080, "en", True),
])
def test_screenshots_show_the_hint_beside_nothing_it_covers(app_url, lesson_page, width, height, lang, projector):
    query = {"lesson": "sgd_slow", "step": "1", "lang": lang, **({"projector": "1"} if projector else {})}
    page = lesson_page(lesson_url(app_url, **query), viewport={"width": width, "height": height})
    bs.wait_for_stage(page)
    page.wait_for_timeout(600)  # projector mode folds the sidebar away, with a transition
    boxes = page.evaluate(JS_PANEL_BOXES, HINT[lang])
    hint, title = boxes["hint"], boxes["title"]
    assert hint["w"] > 100 and hint["h"] > 8 and 0 <= hint["y"] and hint["y"] + hint["h"] <= height, boxes
    assert 0 <= hint["x"] and hint["x"] + hint["w"] <= width and not boxes["clipped"], boxes
    assert len(boxes["buttons"]) == 3 and not any(overlaps(title, button) for button in boxes["buttons"]), boxes
    assert all(overlaps(boxes["panel"], button) for button in boxes["buttons"])  # the buttons are in the panel
    name = f"lesson_{width}x{height}_{lang}{'_projector' if projector else ''}.png"
    bs.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(bs.SCREENSHOTS / name))
