"""Reading a lesson file: ``load(text, source) -> (Lesson, problems)``.

Everything is bounded before it is looked at (the file's size, the steps, every text, the choices, the
facts), so any input is cheap; nothing in a file is ever run (``tomllib`` parses data, the scene goes
through ``page_model.from_query``, facts are looked up by name).  Each problem is a plain English sentence
naming the step (from 1) and the field; the rest of the lesson still loads.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Mapping

from . import facts, scenes
from .model import LANGUAGES, Lesson, Question, Step, Translated

MAX_FILE_BYTES = 200_000
MAX_STEPS = 30
MAX_TEXT = 4000  # characters of a step's text, in each language
MAX_TITLE = 120
MAX_SUMMARY = 500
MAX_PROMPT = 500
MAX_CHOICE = 200
CHOICES_RANGE = (2, 6)
MAX_FACTS = 12
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")

LESSON_KEYS = ("id", "title", "summary", "steps")
STEP_KEYS = ("scene", "text", "question", "facts")
QUESTION_KEYS = ("en", "zh", "choices", "answer")


def load(text, source: str = "") -> tuple:
    """(Lesson, problems) of a lesson file's text (str, or bytes in UTF-8).  ``source`` names where it came
    from (a file name, a URL) for the Lesson and its fallback id.  Never raises on any input."""
    text, problems = _decoded(text)
    if text is None:
        return _empty(source), problems
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as error:
        return _empty(source), [f"not a valid TOML file: {str(error)[:200]}"]
    return _lesson(data, source)


def load_path(path) -> tuple:
    """(Lesson, problems) of a lesson file on disk (reads at most MAX_FILE_BYTES + 1 bytes)."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            return load(file.read(MAX_FILE_BYTES + 1), source=path.name)
    except OSError as error:
        return _empty(path.name), [f"cannot read the file: {error.strerror or error}"]


def _decoded(text) -> tuple:
    """(text or None, problems): the file as text, refused when larger than MAX_FILE_BYTES."""
    if not isinstance(text, (str, bytes, bytearray)):
        return None, [f"not the text of a file but {type(text).__name__}."]
    if len(text) > MAX_FILE_BYTES:
        return None, [f"the file has {len(text):,} {'bytes' if isinstance(text, bytes) else 'characters'}; "
                      f"a lesson file may have at most {MAX_FILE_BYTES:,} bytes."]
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            return None, [f"the file is not UTF-8 text (byte {error.start})."]
    elif len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        return None, [f"the file has more than {MAX_FILE_BYTES:,} bytes in UTF-8; a lesson file may have at most "
                      f"{MAX_FILE_BYTES:,}."]
    return text, []


def _empty(source: str) -> Lesson:
    name = _fallback_id(source)
    return Lesson(name, Translated(name, name), Translated("", ""), (), source)


def _fallback_id(source: str) -> str:
    stem = Path(str(source)).stem.lower() if source else ""
    return stem if ID_PATTERN.fullmatch(stem) else "untitled"


def _unknown(table: Mapping, known: tuple, prefix: str) -> list:
    """A problem for each key of ``table`` not in ``known``; ``prefix`` is the table's field ("question.")."""
    return [f"{prefix}{str(key)[:40]}: unknown key (known: {', '.join(known)}); ignored."
            for key in table if key not in known]


def _lesson(data: dict, source: str) -> tuple:
    problems = _unknown(data, LESSON_KEYS, "")
    lesson_id = data.get("id")
    if not isinstance(lesson_id, str) or not ID_PATTERN.fullmatch(lesson_id):
        problems.append(f"id: {facts.shown(lesson_id)} is not an id (1 to 40 of a-z, 0-9, _ and -, starting with a "
                        f"letter or digit); using {_fallback_id(source)!r}.")
        lesson_id = _fallback_id(source)
    title, title_problems = read_translated(data.get("title"), "title", MAX_TITLE)
    summary, summary_problems = read_translated(data.get("summary"), "summary", MAX_SUMMARY, required=False)
    steps, step_problems = _steps(data.get("steps"))
    return Lesson(lesson_id, title, summary, steps, source), problems + title_problems + summary_problems + \
        step_problems


def read_translated(value, field: str, limit: int, required: bool = True) -> tuple:
    """(Translated, problems) of a {en = …, zh = …} table.  A missing language shows the other; a plain string
    is used for both; a text longer than ``limit`` is cut there.  Each problem names ``field``."""
    if value is None:
        return Translated("", ""), [f"{field}: missing."] if required else []
    if isinstance(value, str):
        value, problems = {"en": value, "zh": value}, [f"{field}: a plain string; give {field}.en and {field}.zh "
                                                        f"(it is used for both languages)."]
    elif isinstance(value, Mapping):
        problems = _unknown(value, LANGUAGES, f"{field}.")
    else:
        return Translated("", ""), [f"{field}: not a table {{en = …, zh = …}}; ignored."]
    texts = {}
    for lang in LANGUAGES:
        text = value.get(lang)
        if text is not None and not isinstance(text, str):
            problems.append(f"{field}.{lang}: not a string; ignored.")
            text = None
        if text is not None and len(text) > limit:
            problems.append(f"{field}.{lang}: {len(text):,} characters; at most {limit:,} (cut there).")
            text = text[:limit]
        texts[lang] = text.strip() if text else ""
    for lang, other in (("en", "zh"), ("zh", "en")):
        if not texts[lang] and texts[other]:
            problems.append(f"{field}.{lang}: missing; the {'Chinese' if other == 'zh' else 'English'} is shown "
                            f"instead.")
            texts[lang] = texts[other]
    if required and not texts["en"]:
        problems.append(f"{field}: empty.")
    return Translated(texts["en"], texts["zh"]), problems


def _steps(value) -> tuple:
    if value is None:
        return (), ["steps: missing: a lesson needs at least one [[steps]]."]
    if not isinstance(value, list) or not all(isinstance(step, Mapping) for step in value[:MAX_STEPS]):
        return (), ["steps: not a list of tables: write each step as [[steps]]."]
    problems = []
    if len(value) > MAX_STEPS:
        problems.append(f"steps: {len(value):,} steps; a lesson may have at most {MAX_STEPS}: the first "
                        f"{MAX_STEPS} are kept.")
    if not value:
        problems.append("steps: empty: a lesson needs at least one [[steps]].")
    steps = []
    for number, table in enumerate(value[:MAX_STEPS], start=1):
        step, step_problems = read_step(table, number)
        steps.append(step)
        problems += [f"step {number}, {problem}" for problem in step_problems]
    return tuple(steps), problems


def read_step(table: Mapping, number: int) -> tuple:
    """(Step, problems) of one [[steps]] table; each problem starts with the field it is about."""
    problems = _unknown(table, STEP_KEYS, "")
    query = table.get("scene")
    if not isinstance(query, str):
        problems.append("scene: missing; the default scene is used." if query is None
                        else "scene: not a string (the page's URL query, e.g. \"surface=bowl&run=sgd:lr=0.95\"); "
                             "the default scene is used.")
        query = ""
    scene, place, scene_problems = scenes.read_scene(query)
    problems += [f"scene: {problem}" for problem in scene_problems]
    text, text_problems = read_translated(table.get("text"), "text", MAX_TEXT)
    question, question_problems = _question(table.get("question"))
    step_facts, fact_problems = _facts(table.get("facts"), len(scene.runs))
    step = Step(number, scenes.normalise(query)[: scenes.MAX_SCENE_CHARS], scene, place, text, question, step_facts)
    return step, problems + text_problems + question_problems + fact_problems


def _question(value) -> tuple:
    if value is None:
        return None, []
    if not isinstance(value, Mapping):
        return None, ["question: not a table; ignored."]
    problems = _unknown(value, QUESTION_KEYS, "question.")
    prompt, prompt_problems = read_translated({k: value[k] for k in LANGUAGES if k in value}, "question", MAX_PROMPT)
    choices, choice_problems = _choices(value.get("choices"))
    problems += prompt_problems + choice_problems
    if choices is None:
        return None, problems + ["question: left out (it needs 2 to 6 choices)."]
    answer = value.get("answer")
    if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(choices):
        problems.append(f"question.answer: {facts.shown(answer)} is not the index of a choice "
                        f"(0 … {len(choices) - 1}, counted from 0); the question is shown without a reveal.")
        answer = None
    return Question(prompt, choices, answer), problems


def _choices(value) -> tuple:
    low, high = CHOICES_RANGE
    if not isinstance(value, list) or len(value) < low:
        return None, [f"question.choices: give a list of {low} to {high} choices [{{en = …, zh = …}}, …]."]
    problems = [f"question.choices: {len(value):,} choices; at most {high}: the first {high} are kept."] \
        if len(value) > high else []
    choices = []
    for index, item in enumerate(value[:high]):
        choice, choice_problems = read_translated(item, f"question.choices[{index}]", MAX_CHOICE)
        choices.append(choice)
        problems += choice_problems
    return tuple(choices), problems


def _facts(value, run_count: int) -> tuple:
    if value is None:
        return (), []
    if not isinstance(value, list):
        return (), ["facts: not a list of tables ([[steps.facts]]); ignored."]
    problems = [f"facts: {len(value):,} facts; at most {MAX_FACTS}: the first {MAX_FACTS} are kept."] \
        if len(value) > MAX_FACTS else []
    kept = []
    for index, table in enumerate(value[:MAX_FACTS], start=1):
        fact, fact_problems = facts.parse(table, run_count)
        if fact is not None:
            kept.append(fact)
        problems += [f"fact {index}: {problem}; the fact is left out." for problem in fact_problems]
    return tuple(kept), problems
