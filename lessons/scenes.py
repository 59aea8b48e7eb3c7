"""A step's scene: the page's own URL query string, read into a ``page_model.Scene`` and the place dict
(the open tab, the Explore view and the stage's playback settings, which are not part of a Scene; when the step
has any ``net.*`` key, the network lab's settings under "lab", a ``page_model.network_lab.Lab``; when it has any
``ex.*`` key, the Explore view's settings under "explore_settings", as session-state keys and values, read by
``page_model.explore_settings.from_query`` for the step's runs).

``read_scene(text)`` never raises: a bad value falls back to its default (``page_model.from_query``'s rule)
and every problem is an English sentence naming the URL key.
"""

from __future__ import annotations

from types import MappingProxyType
from urllib.parse import parse_qsl

import page_model
from page_model import explore_settings, network_lab, playback
from page_model.scene import SCHEDULE_FIELDS

MAX_SCENE_CHARS = 4000
MAX_FIELDS = 60  # key=value pairs in one scene (at most 8 runs, and every Scene field once)

# The page's slugs (ui/state.py's ``slug`` of app.VIEWS and ui/explore_tab.VIEWS); the first of each is the
# default.  A hyphen is read as an underscore ("3-d-surface" is "3_d_surface").
VIEWS = ("paths", "explore", "3_d_surface", "update_rules", "network")
EXPLORE_VIEWS = ("sweep", "learning_rates", "basins", "random_search", "one_step", "line_search")
PLACE_DEFAULTS = MappingProxyType({"view": "paths", "explore": "sweep", **playback.DEFAULTS})

SCENE_KEYS = frozenset(("surface", "start", "steps", "run", "formula", "x_range", "y_range", "mu_ramp", "noise",
                        "seed", "average", "tol", "field") + SCHEDULE_FIELDS)
TEACHER_KEYS = frozenset(("lang", "projector"))  # the teacher's display settings: a lesson does not set them


def normalise(text: str) -> str:
    """The query part of ``text`` (after a "?", so a whole copied link works), each "key=value" stripped of
    surrounding whitespace (so a long scene may be broken over lines at its "&")."""
    text = text.split("?", 1)[1] if "?" in text else text
    return "&".join(part.strip() for part in text.split("&") if part.strip())


def read_scene(text: str) -> tuple:
    """(Scene, place, problems) of a scene given as the page's URL query string.  ``place`` is a read-only
    dict with every key of PLACE_DEFAULTS; ``problems`` are English sentences (the rest still loads)."""
    if len(text) > MAX_SCENE_CHARS:
        return (page_model.DEFAULT_SCENE, PLACE_DEFAULTS,
                [f"{len(text)} characters; a scene may have at most {MAX_SCENE_CHARS}: the default scene is used."])
    try:
        pairs = parse_qsl(normalise(text), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        return (page_model.DEFAULT_SCENE, PLACE_DEFAULTS,
                [f"more than {MAX_FIELDS} key=value pairs: the default scene is used."])
    scene_query, place_query, lab_query, explore_query, problems = _sort_keys(pairs)
    scene, warnings = page_model.from_query(scene_query)
    place, place_problems = read_place(place_query)
    if lab_query:  # the network lab as the step sets it; a step without net.* keys leaves the lab as it is
        lab, lab_warnings = network_lab.from_query(lab_query)
        place = MappingProxyType({**place, "lab": lab})
        place_problems = place_problems + [str(w) for w in lab_warnings]
    if explore_query:  # the Explore view's settings, for the step's runs
        values, explore_warnings = explore_settings.from_query(explore_query,
                                                               *explore_settings.run_lookups(scene.runs))
        place = MappingProxyType({**place, "explore_settings": MappingProxyType(values)})
        place_problems = place_problems + [str(w) for w in explore_warnings]
    return scene, place, problems + [str(w) for w in warnings] + place_problems


def _sort_keys(pairs) -> tuple:
    """Split (key, value) pairs into the Scene's query (run repeated, as a list), the place's, the network lab's
    (``net.*``), Explore's (``ex.*``), and problems (an unknown key, a teacher's setting, a key given twice)."""
    scene_query, place_query, lab_query, explore_query, problems, seen = {}, {}, {}, {}, [], set()
    for key, value in pairs:
        if key in seen and key != "run":
            problems.append(f"{key!r} is given twice; the last value is used.")
        seen.add(key)
        if key == "run":
            scene_query.setdefault("run", []).append(value)
        elif key in SCENE_KEYS or key.startswith("surface."):
            scene_query[key] = value
        elif key in PLACE_DEFAULTS:
            place_query[key] = value
        elif key in network_lab.URL_KEYS:
            lab_query[key] = value
        elif key.startswith(explore_settings.PREFIX):
            explore_query[key] = value
        elif key in TEACHER_KEYS:
            problems.append(f"{key!r} is the teacher's setting, not a lesson's; ignored.")
        else:
            shown = key if len(key) <= 40 else key[:37] + "…"
            problems.append(f"unknown key {shown!r}; ignored (known: {', '.join(sorted(SCENE_KEYS))}, "
                            f"surface.<parameter>, {', '.join(PLACE_DEFAULTS)}, the network lab's net.* keys and "
                            f"Explore's ex.* keys).")
    return scene_query, place_query, lab_query, explore_query, problems


def read_place(query: dict) -> tuple:
    """(place, problems): the view, the Explore view and the playback settings of ``query``, each checked;
    a bad value keeps its default with a problem naming the key and the valid values."""
    place, problems = dict(PLACE_DEFAULTS), []
    for key, value in query.items():
        parsed = _place_value(key, value) if key in PLACE_DEFAULTS else None
        if key not in PLACE_DEFAULTS:
            problems.append(f"{key!r} is not one of {', '.join(PLACE_DEFAULTS)}; ignored.")
        elif parsed is None:
            default = _url_text(PLACE_DEFAULTS[key])
            problems.append(f"{key}={_shown(value)} is not valid ({_valid(key)}); using {default}.")
        else:
            place[key] = parsed
    return MappingProxyType(place), problems


def _place_value(key: str, value: str):
    """The value of one place key, or None if it is not valid."""
    if key in ("view", "explore"):
        slug = value.replace("-", "_")
        return slug if slug in (VIEWS if key == "view" else EXPLORE_VIEWS) else None
    try:
        return playback.parse(key, value)
    except ValueError:
        return None


def _valid(key: str) -> str:
    if key == "view":
        return "one of " + ", ".join(VIEWS)
    if key == "explore":
        return "one of " + ", ".join(EXPLORE_VIEWS)
    return playback.VALID[key]


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:37] + "…")


def place_query(place) -> dict:
    """The place as URL query parameters, leaving out its defaults (as the page's own link does)."""
    return {key: _url_text(place[key]) for key, default in PLACE_DEFAULTS.items()
            if key in place and place[key] != default}


def _url_text(value) -> str:
    """A place value as the page's URL writes it: "0"/"1" for a switch, "2" for a speed of 2.0."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return f"{value:g}" if isinstance(value, float) else str(value)
