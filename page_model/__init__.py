"""The page's model, without Streamlit: what a page shows and how it travels.

* ``scene``: ``Scene`` and ``RunSpec`` (one immutable value for everything a shared link reproduces), the
  values the controls offer (slider grids, limits), ``options_with``, ``check_range``, ``start_bounds``;
* ``url``: ``to_query`` / ``from_query`` (a scene in a URL and back; a bad value falls back with a warning);
* ``presets``: ``PRESETS`` and ``DEFAULT_SCENE`` (the book's comparison);
* ``playback``: the stage's speed, hide the future and step arrows as a link gives them (not a Scene's);
* ``simulate``: ``simulate`` (every run's path), ``path_scene`` (what one path depends on), ``summarise``
  (the summary table's rows), ``distance_to_nearest``.

Callers write ``import page_model`` or ``from page_model import Scene, from_query``.
"""

from . import playback
from .presets import DEFAULT_SCENE, PRESETS, Preset
from .scene import (FORMULA, FORMULA_EXAMPLE, FORMULA_RANGE, LANGUAGES, MAX_RUNS, NOISE_RANGE, RANGE_LIMIT, SCHEDULES,
                    SEED_RANGE, STEPS_RANGE, TOL_OPTIONS, RunSpec, Scene, check_range, options_with,
                    start_bounds)
from .simulate import (RunSummary, distance_to_nearest, path_scene, simulate, simulate_run, summarise,
                       with_runs)
from .url import from_query, run_to_text, to_query

__all__ = [
    "DEFAULT_SCENE", "FORMULA", "FORMULA_EXAMPLE", "FORMULA_RANGE", "LANGUAGES",
    "MAX_RUNS", "NOISE_RANGE", "PRESETS", "Preset", "RANGE_LIMIT", "RunSpec",
    "RunSummary", "SCHEDULES", "SEED_RANGE", "STEPS_RANGE", "Scene", "TOL_OPTIONS",
    "check_range", "distance_to_nearest", "from_query", "options_with", "path_scene", "playback",
    "run_to_text", "simulate", "simulate_run", "start_bounds", "summarise", "to_query", "with_runs",
]
