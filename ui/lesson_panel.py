"""Lesson mode (issue 11, the page side): a lesson chosen in the sidebar (a built-in one, or the teacher's own
file) or by a link ``?lesson=<id>&step=<k>``, and the compact panel above the run rows that walks through it.

Session state: ``lesson`` (a built-in lesson's id, FILE for the uploaded one, NONE for no lesson; mirrored by
the sidebar's box, see ``widgets.choice``), ``lesson_step`` (from 1), ``lesson_custom`` (the uploaded
``lessons.Lesson``), ``lesson_problems`` (what its loading found), ``lesson_revealed`` ((lesson, step) whose
answer is shown).

Going to a step (``go_to``, always from a callback, before any widget is drawn) loads its scene with the
teacher's language and projector mode, opens its tab and Explore view and sets the stage's playback settings.
The lesson's texts are Markdown (formulas allowed) through ``st.markdown``, whose HTML stays escaped; a
problem of a file, a file name and a title are shown literally.
"""

from __future__ import annotations

import dataclasses
import functools

import streamlit as st

import lessons
from viz import i18n

from . import stage, widgets
from . import state as page_state
from .state import tr

NONE = "none"  # the lesson box's "no lesson"
FILE = "@file"  # the lesson box's uploaded lesson (its Lesson is in state["lesson_custom"])
MAX_PROBLEMS_SHOWN = 12


def current():
    """The chosen lesson (a ``lessons.Lesson``), or None."""
    state = st.session_state
    chosen = state.get("lesson", NONE)
    if chosen == FILE:
        return state.get("lesson_custom")
    return None if chosen == NONE else lessons.by_id(chosen)


def lesson_title(key: str, lang: str = "en", custom=None) -> str:
    """The lesson box's label of ``key`` in ``lang`` (``custom``: the uploaded lesson, if any)."""
    if key == NONE:
        return i18n.t("no lesson", lang)
    if key == FILE:
        title = custom.title.get(lang) if custom is not None else ""
        return i18n.t("{title} (your file)", lang, title=title)
    lesson = lessons.by_id(key)
    return lesson.title.get(lang) if lesson is not None else key


# --- going to a step (callbacks) ---------------------------------------------------------------------------


def go_to(number: int, tabs: tuple, sections: tuple) -> None:
    """Step ``number`` of the chosen lesson: its scene, tab, Explore view and playback settings."""
    state = st.session_state
    lesson = current()
    step = lesson.step(number) if lesson is not None else None
    if step is None:
        return
    state["lesson_step"] = number
    page_state.load_scene(dataclasses.replace(step.scene, lang=state["lang"], projector=state["projector"]),
                          keep_display=True)
    place = step.place
    tab = next((name for name in tabs if page_state.slug(name) == place["view"]), tabs[0])
    state["view"] = i18n.t(tab, state["lang"])
    state["explore_section"] = next((name for name in sections if page_state.slug(name) == place["explore"]),
                                    sections[0])
    state["stage_speed"], state["stage_hide"], state["stage_arrows"] = (place["speed"], bool(place["hide"]),
                                                                        bool(place["arrows"]))
    if place["hide"]:  # the class guesses first: the stage waits at step 0 (ui.stage.rewind)
        stage.rewind()


def on_lesson(tabs: tuple, sections: tuple) -> None:
    """The lesson box changed: its first step, or (no lesson) leave it with the scene as it is."""
    if st.session_state.get("lesson", NONE) == NONE:
        leave()
    else:
        go_to(1, tabs, sections)


def leave() -> None:
    """Leave the lesson at this step: the scene stays, to explore from."""
    state = st.session_state
    state["lesson"] = NONE
    state.pop("lesson_step", None)
    state.pop("lesson_revealed", None)


def on_file(key: str, tabs: tuple, sections: tuple) -> None:
    """A lesson file was uploaded: load it (each problem is kept to be shown) and go to its first step."""
    state = st.session_state
    uploaded = state.get(key)
    if uploaded is None:
        state.pop("lesson_problems", None)
        return
    lesson, problems = lessons.load(uploaded.getvalue(), source=uploaded.name)
    state["lesson_problems"] = [str(problem) for problem in problems]
    if not lesson.steps:
        return
    state["lesson_custom"] = lesson
    state["lesson"] = FILE
    go_to(1, tabs, sections)


def reveal() -> None:
    """Show the answer, and the whole path (the future is no longer hidden)."""
    state = st.session_state
    state["lesson_revealed"] = (state.get("lesson"), state.get("lesson_step"))
    state["stage_hide"] = False


# --- the URL (first visit) and the sidebar ----------------------------------------------------------------


def read_url(tabs: tuple, sections: tuple) -> list:
    """The lesson and step a shared link names (first visit).  A link with nothing of a scene in it opens the
    step's scene; one with a scene keeps its scene (what was shared).  An unknown lesson or step is a warning
    naming it and the valid ones."""
    state = st.session_state
    chosen = st.query_params.get("lesson")
    if chosen is None:
        return []
    lesson = lessons.by_id(chosen)
    if lesson is None:
        return [i18n.Message("URL value {key}={shown} is not one of {valid}; ignored.", key="lesson",
                             shown=repr(chosen[:40]), valid=", ".join(lessons.BUILTIN))]
    warnings, number = [], 1
    value = st.query_params.get("step", "1")
    if value.isdigit() and lesson.step(int(value)) is not None:
        number = int(value)
    else:
        warnings.append(i18n.Message("URL value {key}={shown} is not one of {valid}; ignored.", key="step",
                                     shown=repr(value[:40]), valid=f"1 … {len(lesson.steps)}"))
    state["lesson"] = lesson.id
    state["lesson_step"] = number
    if set(st.query_params.keys()) <= {"lesson", "step", "lang", "projector"}:
        go_to(number, tabs, sections)
    return warnings


def picker(tabs: tuple, sections: tuple) -> None:
    """The sidebar's lesson box (built-in lessons by title, the uploaded one, no lesson) and the uploader."""
    state = st.session_state
    options = (NONE,) + lessons.BUILTIN + ((FILE,) if state.get("lesson_custom") is not None else ())
    widgets.choice(st.selectbox, tr("Lesson"), options, key="lesson",
                   format_func=functools.partial(lesson_title, lang=state["lang"], custom=state.get("lesson_custom")),
                   on_change=on_lesson, args=(tabs, sections),
                   help=tr("A guided sequence of scenes with questions; a link with ?lesson=…&step=… opens it."))
    st.file_uploader(tr("your own lesson (.toml)"), type=["toml"], key="lesson_file", max_upload_size=1,
                     on_change=widgets.safe(on_file), args=("lesson_file", tabs, sections),
                     help=tr("A lesson file as the README describes it, at most 200 KB."))
    problems = state.get("lesson_problems") or []
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        st.warning(widgets.literal(tr("Your lesson file: {problem}", problem=problem)), icon="⚠️")
    if len(problems) > MAX_PROBLEMS_SHOWN:
        st.caption(tr("…and {n} more.", n=len(problems) - MAX_PROBLEMS_SHOWN))
    if state.get("lesson") == FILE:
        st.caption(tr("An uploaded lesson cannot be shared by link: share its file."))


# --- the panel ---------------------------------------------------------------------------------------------


def render(tabs: tuple, sections: tuple) -> None:
    """The lesson's compact box under the heading: the step counter with Previous / Next and Leave on one line,
    the step's text, and its question with Reveal.  Nothing when no lesson is chosen."""
    state = st.session_state
    lesson = current()
    number = state.get("lesson_step", 1)
    step = lesson.step(number) if lesson is not None else None
    if step is None:
        return
    lang, count = state["lang"], len(lesson.steps)
    with st.container(border=True, key="lesson_panel"):
        back, title, forward, leave_button = st.columns([1.3, 6, 1.3, 1.7], vertical_alignment="center")
        back.button(tr("◀ Previous"), key="lesson_previous", disabled=number <= 1, width="stretch",
                    on_click=widgets.safe(go_to), args=(number - 1, tabs, sections))
        title.markdown(tr("**Lesson:** {title} · step {k} of {n}", title=widgets.literal(lesson.title.get(lang)),
                          k=number, n=count))
        forward.button(tr("Next ▶"), key="lesson_next", disabled=number >= count, width="stretch",
                       on_click=widgets.safe(go_to), args=(number + 1, tabs, sections))
        leave_button.button(tr("✕ Leave the lesson"), key="lesson_leave", width="stretch",
                            on_click=widgets.safe(leave))
        if step.question is None:
            st.markdown(step.text.get(lang))
            return
        text, question = st.columns([3, 2], gap="medium")
        text.markdown(step.text.get(lang))
        with question:
            ask(lesson, step, lang)


def ask(lesson, step, lang: str) -> None:
    """The step's question: its prompt, its choices (none chosen at first) and Reveal, then the answer."""
    state = st.session_state
    question = step.question
    choices = [choice.get(lang) for choice in question.choices]
    st.markdown(question.prompt.get(lang))
    st.radio(tr("Your answer"), range(len(choices)), index=None, format_func=choices.__getitem__,
             key=f"lesson_choice.{lesson.id}.{step.number}@{lang}", label_visibility="collapsed")
    if question.answer is None:
        return
    if state.get("lesson_revealed") == (state.get("lesson"), step.number):
        st.success(tr("The answer: {choice}", choice=choices[question.answer]))
    else:
        st.button(tr("Reveal the answer"), key="lesson_reveal", on_click=widgets.safe(reveal))
