"""Lesson mode on the page (issue 11; ui/lesson_panel.py) with streamlit.testing.v1.AppTest: a link or the
sidebar's box opens a lesson, Previous / Next (and a clicker's PageDown / PageUp) load each step's scene and put
it in the URL, Reveal shows the answer, Leave keeps the scene, a bad link warns, an uploaded file's problems and
texts are never HTML, and a lesson file on the web opens from the sidebar's Lesson URL field or from a link."""

import json

import pytest
from test_app import chart, labels, no_exception, open_app, shown, url

import lessons
from lessons import remote
from ui import lesson_panel
from viz import i18n

SGD = lessons.by_id("sgd_slow")


def run_labels(step) -> list:
    return [run.label() for run in step.scene.runs]


def panel_title(at) -> str:
    return next(m.value for m in at.markdown if "Lesson:" in m.value or "课程：" in m.value)


def test_a_link_opens_the_lesson_at_its_step():
    at = open_app({"lesson": "sgd_slow", "step": "1"})
    no_exception(at)
    step = SGD.step(1)
    assert labels(at) == run_labels(step)
    assert "step 1 of" in panel_title(at) and SGD.title.en in panel_title(at)
    assert any(m.value == step.text.en for m in at.markdown)
    assert any(m.value == step.question.prompt.en for m in at.markdown)
    [radio] = [r for r in at.radio if r.key.startswith("lesson_choice")]
    assert radio.value is None and radio.options == [c.en for c in step.question.choices]
    assert at.button(key="lesson_previous").disabled and not at.button(key="lesson_next").disabled
    assert url(at, "lesson") == ["sgd_slow"] and url(at, "step") == ["1"]
    assert at.session_state["stage_speed"] == step.place["speed"]
    assert not at.warning


def test_next_and_previous_load_each_steps_scene_and_url():
    at = open_app({"lesson": "sgd_slow", "step": "1"})
    at.button(key="lesson_next").click().run()
    no_exception(at)
    assert at.session_state["lesson_step"] == 2 and url(at, "step") == ["2"]
    assert labels(at) == run_labels(SGD.step(2))
    assert url(at, "field") == ["1"]  # step 2's scene shows the gradient field
    assert any(m.value == SGD.step(2).text.en for m in at.markdown)
    at.button(key="lesson_previous").click().run()
    no_exception(at)
    assert url(at, "step") == ["1"] and "field" not in at.query_params
    assert any(m.value == SGD.step(1).text.en for m in at.markdown)


def test_the_last_step_disables_next_and_a_link_reopens_it():
    last = len(SGD.steps)
    at = open_app({"lesson": "sgd_slow", "step": str(last)})
    no_exception(at)
    assert at.button(key="lesson_next").disabled and not at.button(key="lesson_previous").disabled
    assert labels(at) == run_labels(SGD.step(last))
    again = open_app({key: url(at, key) for key in at.query_params})  # the page's own link
    no_exception(again)
    assert again.session_state["lesson_step"] == last and labels(again) == labels(at)


def test_every_built_in_lessons_steps_load_without_warnings():
    for lesson in lessons.builtin():
        at = open_app({"lesson": lesson.id, "step": "1"})
        for number in range(1, len(lesson.steps) + 1):
            no_exception(at)
            assert not at.session_state["url_warnings"], (lesson.id, number)
            # a warning the page itself gives about the scene (a search's best value on its edge) is the lesson's
            # point; none is about the lesson or its link
            assert not [w.value for w in at.warning if "URL" in shown(w.value) or "lesson" in w.value], lesson.id
            step = lesson.step(number)
            assert step.place["view"] != "paths" or labels(at) == run_labels(step), (lesson.id, number)
            assert at.session_state["lesson_step"] == number
            if number < len(lesson.steps):
                at.button(key="lesson_next").click().run()


def test_reveal_shows_the_answer_and_the_whole_path():
    at = open_app({"lesson": "sgd_slow", "step": "1"})
    assert at.session_state["stage_hide"] is True
    at.button(key="lesson_reveal").click().run()
    no_exception(at)
    question = SGD.step(1).question
    assert [s.value for s in at.success] == [f"The answer: {question.choices[question.answer].en}"]
    assert at.session_state["stage_hide"] is False and chart(at)["settings"]["hide"] is False


def test_the_lesson_box_picks_another_lesson():
    at = open_app()
    assert not any("Lesson:" in m.value for m in at.markdown)  # no panel without a lesson
    at.selectbox(key="lesson@en").set_value("momentum").run()
    no_exception(at)
    momentum = lessons.by_id("momentum")
    assert url(at, "lesson") == ["momentum"] and url(at, "step") == ["1"]
    assert labels(at) == run_labels(momentum.step(1)) and momentum.title.en in panel_title(at)
    at.selectbox(key="lesson@en").set_value("none").run()
    no_exception(at)
    assert "lesson" not in at.query_params and not any("Lesson:" in m.value for m in at.markdown)


def test_leaving_keeps_the_scene_and_drops_the_lesson_from_the_url():
    at = open_app({"lesson": "sgd_slow", "step": "1"})
    at.button(key="lesson_next").click().run()
    at.button(key="lesson_leave").click().run()
    no_exception(at)
    assert "lesson" not in at.query_params and "step" not in at.query_params
    assert labels(at) == run_labels(SGD.step(2)) and url(at, "field") == ["1"]
    assert at.session_state["lesson"] == "none"
    assert not any("Lesson:" in m.value for m in at.markdown)


def test_a_bad_lesson_or_step_in_the_link_warns_and_the_page_works():
    at = open_app({"lesson": "no_such<b>", "step": "1"})
    no_exception(at)
    [warning] = at.warning
    assert "lesson='no_such<b>'" in shown(warning.value) and "sgd_slow, momentum" in shown(warning.value)
    assert "<b>" not in warning.value  # shown literally
    assert "lesson" not in at.query_params and labels(at)
    at = open_app({"lesson": "sgd_slow", "step": "99"})
    no_exception(at)
    [warning] = at.warning
    assert "step='99'" in shown(warning.value) and f"1 … {len(SGD.steps)}" in shown(warning.value)
    assert at.session_state["lesson_step"] == 1 and url(at, "step") == ["1"]
    assert labels(at) == run_labels(SGD.step(1))


BROKEN = """id = "mine"
title = {en = "My lesson", zh = "我的课程"}
colour = "red"

[[steps]]
scene = "surface=saddle&steps=20&run=sgd:lr=0.1&run=adam:lr=0.1&steps=oops"
[steps.text]
en = '<script>alert(1)</script> and **bold**'
zh = '<script>alert(1)</script> 和 **粗体**'

[[steps]]
scene = "surface=bowl&run=momentum:lr=0.1"
[steps.text]
en = "Second <img src=x onerror=alert(2)>"
"""


def test_an_uploaded_lesson_shows_its_problems_literally_and_its_text_without_html():
    at = open_app()
    at.get("file_uploader")[0].upload("mine.toml", BROKEN.encode(), "application/toml").run()
    no_exception(at)
    assert at.session_state["lesson"] == "@file" and at.session_state["lesson_step"] == 1
    _, problems = lessons.load(BROKEN.encode(), source="mine.toml")
    assert problems
    warnings = [w.value for w in at.warning]
    for problem in problems:
        assert any(i18n.t("Your lesson file: {problem}", "en", problem=problem) == shown(w) for w in warnings)
    assert all("<" not in w and "'" not in w for w in warnings)  # as character references, never markup
    text = '<script>alert(1)</script> and **bold**'
    [body] = [m for m in at.markdown if m.value == text]
    assert body.proto.allow_html is False
    assert not [h for h in at.get("html") if "alert" in h.proto.body]
    assert "lesson" not in at.query_params  # an uploaded lesson has no link ...
    assert any("cannot be shared by link" in c.value for c in at.caption)  # ... and the page says so
    assert labels(at) == ["SGD lr=0.1", "Adam lr=0.1"]
    at.button(key="lesson_next").click().run()
    no_exception(at)
    assert labels(at) == ["Momentum lr=0.1"]


def test_the_panel_speaks_chinese():
    at = open_app({"lesson": "sgd_slow", "step": "1", "lang": "zh"})
    no_exception(at)
    assert panel_title(at).startswith("**课程：** 为什么普通 SGD 很慢 · 第 1 步")
    assert any(m.value == SGD.step(1).text.zh for m in at.markdown)
    assert at.button(key="lesson_next").label == "下一步 ▶" and at.button(key="lesson_previous").label == "◀ 上一步"
    assert at.button(key="lesson_leave").label == "✕ 退出课程" and at.button(key="lesson_reveal").label == "揭晓答案"
    assert at.selectbox(key="lesson@zh").label == "课程"
    assert at.selectbox(key="lesson@zh").value == "sgd_slow"
    [radio] = [r for r in at.radio if r.key.startswith("lesson_choice")]
    assert radio.options == [c.zh for c in SGD.step(1).question.choices]
    at.button(key="lesson_next").click().run()
    no_exception(at)
    assert "第 2 步" in panel_title(at) and url(at, "lang") == ["zh"]


def test_switching_the_language_mid_lesson_keeps_the_step():
    at = open_app({"lesson": "sgd_slow", "step": "1"})
    at.button(key="lesson_next").click().run()
    at.selectbox(key="lang").set_value("zh").run()
    no_exception(at)
    assert "第 2 步" in panel_title(at) and url(at, "step") == ["2"] and url(at, "lang") == ["zh"]
    assert any(m.value == SGD.step(2).text.zh for m in at.markdown)
    assert labels(at) == run_labels(SGD.step(2))
    assert at.selectbox(key="lesson@zh").value == "sgd_slow"


# --- the presentation clicker: PageDown / PageUp (ui/lesson_keys.py) ----------------------------------------

HINT = {"en": "PageUp / PageDown (a clicker) move through the steps", "zh": "PageUp / PageDown（翻页笔）可切换步骤"}


def keys_element(at):
    found = [e for e in at.get("bidi_component") if e.proto.component_name == "optimizer_paths_lesson_keys"]
    assert len(found) <= 1
    return found[0] if found else None


def press(at, key: str, nonce: str = "1"):
    """What the browser sends when PageDown ("next") or PageUp ("previous") is pressed: the keys component's
    trigger, as tests/test_app.py's stage_event sends the stage's click."""
    from streamlit.components.v2.bidi_component.main import _make_trigger_id

    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = _make_trigger_id(keys_element(at).proto.id, "events")
    state.json_trigger_value = json.dumps([{"event": "press", "value": {"key": key, "nonce": nonce}}])
    return at._run(states)


def test_page_down_and_page_up_do_what_next_and_previous_do():
    at = open_app({"lesson": "sgd_slow", "step": "1"})
    assert keys_element(at) is not None
    press(at, "next", "a")
    press(at, "next", "b")
    no_exception(at)
    assert at.session_state["lesson_step"] == 3 and url(at, "step") == ["3"]
    assert labels(at) == run_labels(SGD.step(3))
    press(at, "previous", "c")
    no_exception(at)
    assert at.session_state["lesson_step"] == 2 and url(at, "step") == ["2"]
    assert labels(at) == run_labels(SGD.step(2)) and url(at, "field") == ["1"]  # step 2's scene, as Next gives
    assert any(m.value == SGD.step(2).text.en for m in at.markdown)
    assert at.session_state["stage_rewind"] >= 3  # each step put the play head at 0, as the buttons do


def test_the_keys_stop_at_the_first_and_the_last_step():
    at = open_app({"lesson": "sgd_slow", "step": "1"})
    press(at, "previous")
    no_exception(at)
    assert at.session_state["lesson_step"] == 1 and url(at, "step") == ["1"] and not at.warning
    last = len(SGD.steps)
    at = open_app({"lesson": "sgd_slow", "step": str(last)})
    press(at, "next")
    no_exception(at)
    assert at.session_state["lesson_step"] == last and url(at, "step") == [str(last)]


def test_a_key_the_page_does_not_know_is_ignored():
    at = open_app({"lesson": "sgd_slow", "step": "2"})
    for value in ("sideways", None, 3):
        press(at, value)
        no_exception(at)
        assert at.session_state["lesson_step"] == 2 and not at.error


def test_the_keys_listen_only_in_lesson_mode_and_the_hint_is_shown_in_both_languages():
    assert keys_element(open_app()) is None  # no lesson: no listener, PageDown scrolls the page as usual
    for lang in ("en", "zh"):
        at = open_app({"lesson": "sgd_slow", "step": "1", "lang": lang})
        assert keys_element(at) is not None
        assert HINT[lang] in panel_title(at)  # under the step counter, in the panel
    at.button(key="lesson_leave").click().run()
    assert keys_element(at) is None


def test_the_keys_move_an_uploaded_lesson_too():
    at = open_app()
    at.get("file_uploader")[0].upload("mine.toml", BROKEN.encode(), "application/toml").run()
    press(at, "next")
    no_exception(at)
    assert at.session_state["lesson_step"] == 2 and labels(at) == ["Momentum lr=0.1"]


# --- a lesson from a URL: the sidebar's Lesson URL field and ?lesson=<url> (the fetch is replaced) -----------

LESSON_URL = "https://teacher.example.org/lessons/mine.toml"


@pytest.fixture
def web(monkeypatch):
    """The web, replaced: ``web[url] = text`` (or a remote.FetchError to raise); ``web.fetched`` lists what was
    fetched.  The page's one-minute cache is emptied before and after."""

    class Web(dict):
        fetched: list

    pages = Web()
    pages.fetched = []

    def fetch(address, **options):
        pages.fetched.append(address)
        answer = pages.get(address, remote.FetchError("the server answered HTTP 404 Not Found: no lesson file "
                                                      "there.", "服务器回应 HTTP 404 Not Found：那里没有课程文件。"))
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(remote, "fetch", fetch)
    lesson_panel.fetched.clear()
    yield pages
    lesson_panel.fetched.clear()


def lesson_box(at):
    """The sidebar's Lesson box (its key is per language and revision: ui/widgets.choice)."""
    [box] = [b for b in at.selectbox if b.key.startswith("lesson@")]
    return box


def submit_url(at, value: str):
    return at.text_input(key="lesson_url_field").input(value).run()


def url_notes(at) -> list:
    return [shown(w.value) for w in at.sidebar.warning]


def test_a_lesson_url_typed_in_the_sidebar_opens_that_lesson_and_its_link(web):
    web[LESSON_URL] = BROKEN
    at = open_app()
    assert at.text_input(key="lesson_url_field").label == "Lesson URL"
    submit_url(at, "  " + LESSON_URL + " ")
    no_exception(at)
    assert web.fetched == [LESSON_URL]
    assert at.session_state["lesson"] == "@url" and at.session_state["lesson_step"] == 1
    assert labels(at) == ["SGD lr=0.1", "Adam lr=0.1"] and "My lesson" in panel_title(at)
    assert lesson_box(at).value == "@url" and "My lesson (from a URL)" in lesson_box(at).options
    assert url(at, "lesson") == [LESSON_URL] and url(at, "step") == ["1"]  # the shared link: ?lesson=<url>&step=1
    _, problems = lessons.load(web[LESSON_URL], source=LESSON_URL)
    assert problems and url_notes(at) == [f"Lesson URL: {problem}" for problem in problems]  # word for word
    assert all("<" not in w.value for w in at.sidebar.warning)
    [body] = [m for m in at.markdown if m.value == '<script>alert(1)</script> and **bold**']
    assert body.proto.allow_html is False
    at.button(key="lesson_next").click().run()
    assert url(at, "step") == ["2"] and labels(at) == ["Momentum lr=0.1"]
    press(at, "previous")
    assert url(at, "step") == ["1"]


def test_the_link_of_a_url_lesson_reopens_it_at_its_step_and_a_class_fetches_it_once(web):
    web[LESSON_URL] = BROKEN
    first = open_app({"lesson": LESSON_URL, "step": "2"})
    no_exception(first)
    assert first.session_state["lesson"] == "@url" and first.session_state["lesson_step"] == 2
    assert labels(first) == ["Momentum lr=0.1"]
    assert len(first.warning) == len(first.sidebar.warning) == len(lessons.load(BROKEN)[1])  # the file's, aside
    assert first.text_input(key="lesson_url_field").value == LESSON_URL  # where it came from
    assert url(first, "lesson") == [LESSON_URL] and url(first, "step") == ["2"]
    students = [open_app({key: url(first, key) for key in first.query_params}) for _ in range(3)]
    for student in students:
        no_exception(student)
        assert student.session_state["lesson_step"] == 2 and labels(student) == labels(first)
    assert web.fetched == [LESSON_URL]  # cached: four pages, one fetch


@pytest.mark.parametrize("address, needle", [
    ("file:///etc/passwd", "only http:// and https:// addresses are fetched, not file:."),
    ("ftp://example.org/mine.toml", "only http:// and https:// addresses are fetched, not ftp:."),
    ("https://teacher.example.org/missing.toml", "the server answered HTTP 404 Not Found: no lesson file there."),
    ("https://teacher.example.org/big.toml", "larger than 200,000 bytes"),
    ("https://teacher.example.org/latin1.toml", "not UTF-8 text (byte 12)"),
    ("https://teacher.example.org/slow.toml", "did not send the file within 5 s"),
    ("https://teacher.example.org/not-toml.toml", "the file holds no lesson (not a valid TOML file"),
])
def test_a_lesson_url_that_fails_says_why_under_the_field_and_keeps_the_page(web, address, needle):
    web["https://teacher.example.org/big.toml"] = remote._too_large(remote.MAX_FILE_BYTES)
    web["https://teacher.example.org/latin1.toml"] = remote.FetchError("the file is not UTF-8 text (byte 12).", "…")
    web["https://teacher.example.org/slow.toml"] = remote._timed_out(5.0)
    web["https://teacher.example.org/not-toml.toml"] = "<html> not a lesson"
    at = open_app({"lesson": "sgd_slow", "step": "2"})
    before = (labels(at), dict(at.query_params))
    submit_url(at, address)
    no_exception(at)
    [note] = url_notes(at)
    assert note.startswith(f"Lesson URL {address}: ") and needle in note, note  # the field, the URL, the reason
    assert "Traceback" not in note and not at.exception and not at.error
    assert at.session_state["lesson"] == "sgd_slow" and at.session_state["lesson_step"] == 2  # all kept
    assert (labels(at), dict(at.query_params)) == before
    if address.startswith(("file:", "ftp:")):
        assert web.fetched == []  # refused before anything is fetched


def test_a_link_to_a_lesson_url_that_fails_warns_and_opens_the_page(web):
    at = open_app({"lesson": "https://teacher.example.org/missing.toml", "step": "1"})
    no_exception(at)
    [warning] = at.warning
    assert shown(warning.value) == ("URL value lesson='https://teacher.example.org/missing.toml': the server answered "
                                    "HTTP 404 Not Found: no lesson file there. The lesson was not opened.")
    assert at.session_state.get("lesson", "none") == "none" and "lesson" not in at.query_params and labels(at)
    at = open_app({"lesson": "file:///etc/passwd"})
    no_exception(at)
    [warning] = at.warning
    assert "lesson='file:///etc/passwd'" in shown(warning.value) and "not file:" in shown(warning.value)
    assert web.fetched == ["https://teacher.example.org/missing.toml"]


def test_the_lesson_url_speaks_chinese(web):
    at = open_app({"lesson": "https://teacher.example.org/missing.toml", "lang": "zh"})
    [warning] = at.warning
    assert shown(warning.value) == ("URL 参数 lesson='https://teacher.example.org/missing.toml'：服务器回应 HTTP 404 "
                                    "Not Found：那里没有课程文件。未打开课程。")
    assert at.text_input(key="lesson_url_field").label == "课程网址"
    submit_url(at, "ftp://example.org/x.toml")
    [note] = url_notes(at)
    assert note.startswith("课程网址 ftp://example.org/x.toml：只能获取 http:// 和 https:// 地址")
    web[LESSON_URL] = BROKEN
    submit_url(at, LESSON_URL)
    assert lesson_box(at).value == "@url" and "我的课程（来自网址）" in lesson_box(at).options
