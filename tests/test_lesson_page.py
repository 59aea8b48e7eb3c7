"""Lesson mode on the page (issue 11; ui/lesson_panel.py) with streamlit.testing.v1.AppTest: a link or the
sidebar's box opens a lesson, Previous / Next load each step's scene and put it in the URL, Reveal shows the
answer, Leave keeps the scene, a bad link warns, an uploaded file's problems and texts are never HTML."""

from test_app import chart, labels, no_exception, open_app, shown, url

import lessons
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
