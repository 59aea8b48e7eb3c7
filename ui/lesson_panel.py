"""Lesson mode (issue 11, the page side): a lesson chosen in the sidebar (a built-in one, the teacher's own
file, or a file on the web) or by a link ``?lesson=<id or URL>&step=<k>``, and the compact panel above the run
rows that walks through it.

Session state: ``lesson`` (a built-in lesson's id, FILE for the uploaded one, REMOTE for the one from a URL,
NONE for no lesson; mirrored by the sidebar's box, see ``widgets.choice``), ``lesson_step`` (from 1),
``lesson_custom`` (the uploaded ``lessons.Lesson``), ``lesson_problems`` (what its loading found),
``lesson_remote`` and ``lesson_url`` (the lesson from a URL, and that URL), ``lesson_url_problems`` (what
fetching or loading it found: ``i18n.Message``s), ``lesson_url_field`` (the sidebar's "Lesson URL" field),
``lesson_revealed`` ((lesson, step) whose answer is shown), ``lesson_keys`` (the clicker keys' trigger,
``ui/lesson_keys.py``).

Going to a step (``go_to``, always from a callback, before any widget is drawn) loads its scene with the
teacher's language and projector mode, opens its tab and Explore view and sets the stage's playback settings;
Previous / Next, and PageUp / PageDown anywhere on the page (a presentation clicker), go one step back or on.
The lesson's texts are Markdown (formulas allowed) through ``st.markdown``, whose HTML stays escaped; a
problem of a file, a file name, a URL and a title are shown literally.

A URL is fetched on the server (``lessons.remote``: http(s) only, 5 s, at most the loader's 200 KB, UTF-8),
cached for a minute (a class opening the same link fetches it once), and loaded as an uploaded file is.

"""

from __future__ import annotations

import dataclasses
import functools

import streamlit as st

import lessons
from lessons import remote
from viz import i18n

from . import lesson_keys, stage, widgets
from . import state as page_state
from .state import tr

NONE = "none"  # the lesson box's "no lesson"
FILE = "@file"  # the lesson box's uploaded lesson (its Lesson is in state["lesson_custom"])
REMOTE = "@url"  # the lesson box's lesson from a URL (state["lesson_remote"], fetched from state["lesson_url"])
MAX_PROBLEMS_SHOWN = 12
CLICKER_HINT = "PageUp / PageDown (a clicker) move through the steps"
FETCH_TTL = 60  # seconds a fetched lesson file is kept: a class opening one link fetches it once
FETCH_ENTRIES = 16  # files kept at most (each at most lessons.MAX_FILE_BYTES)

def current():
    """The chosen lesson (a ``lessons.Lesson``), or None."""
    state = st.session_state
    chosen = state.get("lesson", NONE)
    if chosen == FILE:
        return state.get("lesson_custom")
    if chosen == REMOTE:
        return state.get("lesson_remote")
    return None if chosen == NONE else lessons.by_id(chosen)


def lesson_title(key: str, lang: str = "en", custom=None, fetched=None) -> str:
    """The lesson box's label of ``key`` in ``lang`` (``custom``: the uploaded lesson, ``fetched``: the one from
    a URL, if any)."""
    if key == NONE:
        return i18n.t("no lesson", lang)
    if key == FILE:
        title = custom.title.get(lang) if custom is not None else ""
        return i18n.t("{title} (your file)", lang, title=title)
    if key == REMOTE:
        return i18n.t("{title} (from a URL)", lang, title=fetched.title.get(lang) if fetched is not None else "")
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
    if place.get("lab") is not None:  # a step on the network lab (net.* keys): its data, network and view
        page_state.load_lab(place["lab"])
    for key, value in place.get("explore_settings", {}).items():  # a step on an Explore view (ex.* keys)
        state[key] = value


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


def on_key(tabs: tuple, sections: tuple) -> None:
    """PageDown / PageUp (a presentation clicker, ``ui/lesson_keys.py``): what Next / Previous do, from the step
    the page is on now; nothing before the first step or after the last."""
    move = lesson_keys.pressed()
    if move:
        go_to(st.session_state.get("lesson_step", 1) + move, tabs, sections)  # go_to: a step that is none, nothing


def reveal() -> None:
    """Show the answer, and the whole path (the future is no longer hidden)."""
    state = st.session_state
    state["lesson_revealed"] = (state.get("lesson"), state.get("lesson_step"))
    state["stage_hide"] = False


# --- a lesson from a URL -----------------------------------------------------------------------------------


@st.cache_data(ttl=FETCH_TTL, max_entries=FETCH_ENTRIES, max_size="8MB", show_spinner=False)
def fetched(url: str) -> tuple:
    """(text, None) of the lesson file at ``url``, or (None, (english, chinese)) of why not; kept FETCH_TTL
    seconds, failures too (a class opening a dead link waits for it once), one fetch at a time for a URL."""
    try:
        return remote.fetch(url), None
    except remote.FetchError as error:
        return None, (str(error), error.zh)


def fetch_lesson(url: str) -> tuple:
    """(Lesson or None, problems, failure) of the lesson file at ``url``: ``failure`` (an i18n.Message, or None)
    says why there is no lesson; ``problems`` (strs) are what loading it found (besides the failure)."""
    try:
        url = remote.check_url(url)
    except remote.FetchError as error:
        return None, [], i18n.Message.of(error)
    text, failure = fetched(url)
    if text is None:
        english, zh = failure
        return None, [], i18n.Message.of(remote.FetchError(english, zh))
    lesson, problems = lessons.load(text, source=url)
    problems = [str(problem) for problem in problems]
    if not lesson.steps:
        first = (problems[0] if problems else "steps: missing").rstrip(".")
        return None, problems[1:], i18n.Message("the file holds no lesson ({problem}).", problem=first)
    return lesson, problems, None


def open_remote(url: str, lesson, problems: list) -> None:
    """Make the lesson from ``url`` the chosen one (its step is set by the caller)."""
    state = st.session_state
    state["lesson_remote"], state["lesson_url"] = lesson, url.strip()
    state["lesson_url_field"] = url.strip()  # the field shows where the lesson came from (a link's too)
    state["lesson_url_problems"] = url_problems(problems)
    state["lesson"] = REMOTE
    state.pop("lesson_revealed", None)  # a new lesson: no answer of the last one stays shown


def url_problems(problems: list) -> list:
    """What loading a URL's file found, each to be shown as "Lesson URL: …" in the page's language."""
    return [i18n.Message("Lesson URL: {problem}", problem=problem) for problem in problems]


def on_url(tabs: tuple, sections: tuple) -> None:
    """The sidebar's Lesson URL field was submitted: fetch and load its file and go to its first step; a
    failure is said under the field, and the lesson and scene on the page stay as they are."""
    state = st.session_state
    url = str(state.get("lesson_url_field") or "").strip()
    if not url:
        state.pop("lesson_url_problems", None)
        return
    lesson, problems, failure = fetch_lesson(url)
    if lesson is None:
        state["lesson_url_problems"] = [i18n.Message("Lesson URL {url}: {problem}", url=url[:200], problem=failure)] + \
            url_problems(problems)
        return
    open_remote(url, lesson, problems)
    go_to(1, tabs, sections)


# --- the URL (first visit) and the sidebar ----------------------------------------------------------------


def read_url(tabs: tuple, sections: tuple) -> list:
    """The lesson and step a shared link names (first visit): a built-in lesson's id, or the http(s) URL of a
    lesson file.  A link with nothing of a scene in it opens the step's scene; one with a scene keeps its scene
    (what was shared).  An unknown lesson or step, or a URL that cannot be fetched or has no lesson, is a
    warning naming it and what was wrong."""
    state = st.session_state
    chosen = st.query_params.get("lesson")
    if chosen is None:
        return []
    if remote.looks_like_url(chosen):
        lesson, problems, failure = fetch_lesson(chosen)
        if lesson is None:
            return [i18n.Message("URL value lesson={shown}: {problem} The lesson was not opened.",
                            shown=repr(chosen[:200]), problem=failure)]
        open_remote(chosen, lesson, problems)
    else:
        lesson = lessons.by_id(chosen)
        if lesson is None:
            return [i18n.Message("URL value {key}={shown} is not one of {valid}; ignored.", key="lesson",
                                 shown=repr(chosen[:40]), valid=", ".join(lessons.BUILTIN))]
        state["lesson"] = lesson.id
    warnings, number = [], 1
    value = st.query_params.get("step", "1")
    if value.isdigit() and lesson.step(int(value)) is not None:
        number = int(value)
    else:
        warnings.append(i18n.Message("URL value {key}={shown} is not one of {valid}; ignored.", key="step",
                                     shown=repr(value[:40]), valid=f"1 … {len(lesson.steps)}"))
    state["lesson_step"] = number
    if set(st.query_params.keys()) <= {"lesson", "step", "lang", "projector"}:
        go_to(number, tabs, sections)
    return warnings


def picker(tabs: tuple, sections: tuple) -> None:
    """The sidebar's lesson box (built-in lessons by title, the uploaded one, the one from a URL, no lesson), the
    uploader and the Lesson URL field, each with what its file's loading found."""
    state = st.session_state
    options = (NONE,) + lessons.BUILTIN + ((FILE,) if state.get("lesson_custom") is not None else ()) + \
        ((REMOTE,) if state.get("lesson_remote") is not None else ())
    widgets.choice(st.selectbox, tr("Lesson"), options, key="lesson",
                   format_func=functools.partial(lesson_title, lang=state["lang"], custom=state.get("lesson_custom"),
                                                 fetched=state.get("lesson_remote")),
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
    st.text_input(tr("Lesson URL"), key="lesson_url_field", max_chars=remote.MAX_URL,
                  placeholder=tr("https://…/lesson.toml"), on_change=widgets.safe(on_url), args=(tabs, sections),
                  help=tr("The https:// address of a lesson file (.toml, at most 200 KB, e.g. a GitHub file's “Raw” "
                           "link); press Enter to load it. Its link ?lesson=<address>&step=… opens it for the "
                           "class."))
    notes = state.get("lesson_url_problems") or []
    for note in notes[:MAX_PROBLEMS_SHOWN]:
        st.warning(widgets.literal(i18n.render(note, state["lang"])), icon="⚠️")
    if len(notes) > MAX_PROBLEMS_SHOWN:
        st.caption(tr("…and {n} more.", n=len(notes) - MAX_PROBLEMS_SHOWN))


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
                          k=number, n=count) + "  \n:small[:gray[" + tr(CLICKER_HINT) + "]]")
        lesson_keys.render(widgets.safe(functools.partial(on_key, tabs, sections)))
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
