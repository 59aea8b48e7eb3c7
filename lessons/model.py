"""What a loaded lesson is: immutable values (frozen dataclasses), nothing to run."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from page_model import Scene

LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class Translated:
    """One text in English and Chinese."""

    en: str
    zh: str

    def get(self, lang: str) -> str:
        """The text in ``lang`` ("en" or "zh"); English for any other language."""
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Question:
    """A question the class answers before the reveal: the prompt, its choices, and the index (from 0) of
    the right choice (None when the file's answer was unusable: the page shows the choices, no reveal)."""

    prompt: Translated
    choices: tuple  # of Translated
    answer: int | None


@dataclass(frozen=True)
class Fact:
    """A machine-checkable claim of a step: its kind and its parameters as (name, value) pairs (lists are
    tuples, tables are tuples of pairs).  ``lessons.facts.check(scene, fact)`` evaluates it."""

    kind: str
    params: tuple = ()

    def get(self, name: str, default=None):
        return dict(self.params).get(name, default)

    def as_dict(self) -> dict:
        return {"kind": self.kind, **dict(self.params)}


@dataclass(frozen=True)
class Step:
    """One step of a lesson.

    number    its place, from 1 (as the page's ``step=k`` and the problems count)
    query     the scene as the file gave it (the page's URL query string, whitespace around "&" removed)
    scene     ``page_model.Scene`` read from it (a bad value falls back to its default, as a URL does)
    place     where the page stands and how it plays, a read-only dict: view, explore, speed, hide, arrows
    text      the step's Markdown (with $…$ formulas), in both languages
    question  a ``Question`` or None
    facts     its ``Fact``s, the claims of its text that tests check on its scene
    """

    number: int
    query: str
    scene: Scene
    place: MappingProxyType
    text: Translated
    question: Question | None = None
    facts: tuple = ()


@dataclass(frozen=True)
class Lesson:
    """A lesson: its id (the page's ``lesson=``), its title and summary in both languages, its steps, and
    where it was read from."""

    id: str
    title: Translated
    summary: Translated
    steps: tuple  # of Step
    source: str = ""

    def step(self, number: int) -> Step | None:
        """Step ``number`` (from 1), or None when there is no such step."""
        return self.steps[number - 1] if 1 <= number <= len(self.steps) else None
