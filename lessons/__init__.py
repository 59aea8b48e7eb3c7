'''Lessons: the notes' story as a guided sequence of scenes, without Streamlit.

A lesson is 5–10 steps (at most 30); each step is a scene of the page, a short Markdown text with formulas
in English and Chinese, optionally a question the class answers before the reveal, and the facts its text
states, which the tests check on its scene.

The file format
---------------

One TOML file per lesson, UTF-8, at most 200 KB::

    id = "sgd_slow"                      # a-z, 0-9, _ and -, at most 40: the page's ?lesson=sgd_slow
    [title]
    en = "Why plain SGD is slow"
    zh = "为什么普通 SGD 很慢"
    [summary]                            # optional: one sentence for a list of lessons
    en = "The long bowl, its condition number, and the largest stable learning rate."
    zh = "长条形的碗、条件数，以及最大的稳定学习率。"

    [[steps]]                            # one [[steps]] per step, in order (step 1, 2, …)
    scene = "surface=bowl&start=-7,2&steps=60&run=sgd:lr=0.95&run=sgd:lr=1.05&hide=1&speed=4"
    [steps.text]                         # Markdown with $…$ formulas, at most 4000 characters a language
    en = "Just below $2/\\lambda_{max} = 1$ SGD settles; just above, it diverges."
    zh = "学习率略低于 $2/\\lambda_{max} = 1$ 时 SGD 收敛；略高一点就发散。"
    [steps.question]                     # optional: asked before the reveal
    en = "lr = 1.05 is only 10 % larger. What does it do?"
    zh = "lr = 1.05 只大了 10%。它会怎样？"
    choices = [{en = "converges faster", zh = "收敛得更快"},
               {en = "diverges", zh = "发散"}]          # 2 to 6 choices
    answer = 1                           # the right choice, counted from 0
    [[steps.facts]]                      # optional: what the text claims, checked by the tests
    kind = "diverges"
    run = 1                              # runs count from 0, in the order of run= in the scene

``scene`` is the page's own URL query string (a whole copied link works too; whitespace around "&" is
ignored, so a long scene may be broken over lines in a """…""" string).  It holds anything a link holds:
``surface`` (and ``surface.<parameter>``, ``formula``, ``x_range``, ``y_range``), ``start``, ``steps``,
``run=optimizer:name=value,…`` (repeated, at most 8), the schedule fields, ``mu_ramp``, ``noise``,
``seed``, ``average``, ``tol``, ``field``, and where the page stands and how it plays: ``view`` (paths,
explore, 3_d_surface, update_rules, network), ``explore`` (sweep, learning_rates, basins, random_search, one_step,
line_search), ``speed`` (steps a second, 0.5 … 1000, or auto), ``hide`` and ``arrows`` (0 or 1), and the
network lab's ``net.*`` settings (``view=network&net.view=batchnorm``, ``net.data=digits``, ``net.wd=0.1``, … as
the page's link writes them; a step with none leaves the lab as it was).  A missing key takes the default scene's
value.  ``lang`` and ``projector`` are the teacher's, not a lesson's.  As in
any URL, "+" is a space: write a formula's + as %2B (the page's own link does).

The facts' kinds and their parameters are listed in ``lessons.facts`` (``KINDS``): converges, misses,
diverges, stalls, faster, same_pace, first, ends_near, ends_away, lingers, zigzag, overshoot, first_step,
gap, lr_at, lr_limit, condition, helps, cost, lr_picture, search, basins.

A file is checked when loaded: an unknown key, a bad scene value, a missing translation, an answer that is
no choice, too many steps or too long a text each give a problem, a plain English sentence naming the step
and the field ("step 3, scene: URL value steps='many' is not valid …"), and the rest still loads (a bad
scene value keeps its default, as a link does; a missing language shows the other).  Texts are kept
verbatim: the page shows them as Markdown without HTML.  Nothing in a file is ever run.

The API
-------

* ``load(text, source="") -> (Lesson, problems)``, ``load_path(path)``: a lesson from text or bytes, or a file;
* ``builtin() -> tuple[Lesson, ...]``: the built-in lessons, in order; ``by_id(id) -> Lesson | None``;
* ``check(scene, fact) -> (ok, sentence)``: whether a step's fact holds on its scene;
* ``Lesson``, ``Step``, ``Question``, ``Translated``, ``Fact``: immutable values (``lessons.model``);
* ``place_query(place)``: a step's place as URL parameters (its defaults left out).
'''

from __future__ import annotations

import functools
from pathlib import Path

from .facts import KINDS, check
from .loader import MAX_FILE_BYTES, MAX_STEPS, MAX_TEXT, load, load_path
from .model import Fact, Lesson, Question, Step, Translated
from .scenes import PLACE_DEFAULTS, place_query, read_scene

BUILTIN_DIR = Path(__file__).parent / "builtin"
# The built-in lessons in the notes' order (each is BUILTIN_DIR / f"{id}.toml").
BUILTIN = ("sgd_slow", "momentum", "adaptive", "saddles", "learning_rate", "search", "second_order")


@functools.lru_cache(maxsize=1)
def builtin() -> tuple:
    """The built-in lessons, in order (their problems, none, are the tests' business)."""
    return tuple(load_path(BUILTIN_DIR / f"{lesson_id}.toml")[0] for lesson_id in BUILTIN)


def by_id(lesson_id: str) -> Lesson | None:
    """The built-in lesson ``lesson_id``, or None."""
    return next((lesson for lesson in builtin() if lesson.id == lesson_id), None)


__all__ = ["BUILTIN", "BUILTIN_DIR", "Fact", "KINDS", "Lesson", "MAX_FILE_BYTES", "MAX_STEPS", "MAX_TEXT",
           "PLACE_DEFAULTS", "Question", "Step", "Translated", "builtin", "by_id", "check", "load", "load_path",
           "place_query", "read_scene"]
