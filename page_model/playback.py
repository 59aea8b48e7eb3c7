"""The stage's playback settings, as a link or a lesson gives them: the speed, hide the future, the step arrows.

They are the viewer's, not the scene's (two students may watch the same scene at two speeds), so they are not
fields of ``Scene``; the page keeps them in its session state (``ui/stage.py``) and writes those that differ from
``DEFAULTS`` into the URL (``to_query``).  ``parse`` reads one URL value; a bad one raises ValueError, and
``VALID`` says in words what is accepted.

>>> parse("speed", "2"), parse("hide", "0"), to_query({"speed": 2.0, "hide": False, "arrows": False})
(2.0, False, {'speed': '2', 'hide': '0'})
"""

from __future__ import annotations

import math
from types import MappingProxyType

SPEED_RANGE = (0.5, 1000.0)  # steps a second: one step every two seconds … (the stage caps it at the run in 2 s)
DEFAULTS = MappingProxyType({"speed": "auto", "hide": True, "arrows": False})  # "auto": the whole run in 5 s
VALID = MappingProxyType({"speed": f"'auto' or {SPEED_RANGE[0]:g} … {SPEED_RANGE[1]:g} steps a second",
                          "hide": "0 or 1", "arrows": "0 or 1"})
_FLAGS = MappingProxyType({"0": False, "1": True})


def parse_speed(value) -> str | float:
    """"auto", or steps a second within SPEED_RANGE; ValueError otherwise."""
    if str(value) == "auto":
        return "auto"
    try:
        speed = float(value)
    except (TypeError, ValueError):
        speed = math.nan
    if not (math.isfinite(speed) and SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]):
        raise ValueError(f"speed must be 'auto' or between {SPEED_RANGE[0]:g} and {SPEED_RANGE[1]:g} steps a second")
    return speed


def parse(key: str, value):
    """The setting ``key`` ("speed", "hide" or "arrows") from its URL text; ValueError if it is not valid."""
    if key == "speed":
        return parse_speed(value)
    if key in ("hide", "arrows") and str(value) in _FLAGS:
        return _FLAGS[str(value)]
    raise ValueError(f"{key}={value!r}: expected {VALID.get(key, 'one of ' + ', '.join(DEFAULTS))}")


def to_query(settings) -> dict:
    """The settings that differ from DEFAULTS, as URL parameters."""
    query = {}
    for key, default in DEFAULTS.items():
        value = settings.get(key, default)
        if value != default:
            query[key] = f"{value:g}" if key == "speed" else ("1" if value else "0")
    return query
