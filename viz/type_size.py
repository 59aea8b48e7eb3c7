"""Type at the size a projector needs, whatever theme draws the figure.

Streamlit's Plotly theme (``st.plotly_chart``'s default) replaces a figure's root ``layout.font.size`` with its own
(about 15 px ticks and legend in the browser), but keeps a size set on each part: annotations keep theirs.  So for
a projector every part gets its size written out: the axes' ticks and titles, the legend, the hover labels, the
sliders and buttons, the colour bars.  No Streamlit here.
"""

from __future__ import annotations

import re

AXIS = re.compile(r"^[xy]axis\d*$|^zaxis$")


def _font(part: dict, key: str, size: int) -> dict:
    """``part[key]`` (a font dict) with its size, a new dict."""
    return {**part.get(key, {}), "size": size}


def _titled(part: dict, size: int) -> dict:
    """An axis or colour bar with its tick labels and its title at ``size``."""
    part = {**part, "tickfont": _font(part, "tickfont", size)}
    title = part.get("title")
    if isinstance(title, str):
        title = {"text": title}
    if isinstance(title, dict):
        part["title"] = {**title, "font": _font(title, "font", size)}
    return part


def _colour_bars(trace: dict, size: int) -> dict:
    trace = dict(trace)
    if isinstance(trace.get("colorbar"), dict):
        trace["colorbar"] = _titled(trace["colorbar"], size)
    marker = trace.get("marker")
    if isinstance(marker, dict) and isinstance(marker.get("colorbar"), dict):
        trace["marker"] = {**marker, "colorbar": _titled(marker["colorbar"], size)}
    return trace


def with_type_size(figure: dict, size: int) -> dict:
    """A copy of the figure dict whose every text part is ``size`` px (the data and frames are shared, not copied;
    annotations that set their own size keep it)."""
    layout = dict(figure.get("layout", {}))
    layout["font"] = _font(layout, "font", size)
    for key, value in list(layout.items()):
        if AXIS.match(key) and isinstance(value, dict):
            layout[key] = _titled(value, size)
        elif key == "scene" and isinstance(value, dict):
            layout[key] = {axis: _titled(part, size) if AXIS.match(axis) else part for axis, part in value.items()}
    layout["legend"] = {**layout.get("legend", {}), "font": _font(layout.get("legend", {}), "font", size)}
    layout["hoverlabel"] = {**layout.get("hoverlabel", {}), "font": _font(layout.get("hoverlabel", {}), "font", size)}
    if layout.get("annotations"):
        layout["annotations"] = [note if "size" in note.get("font", {}) else {**note, "font": _font(note, "font", size)}
                                 for note in layout["annotations"]]
    for key in ("sliders", "updatemenus"):
        if layout.get(key):
            layout[key] = [{**item, "font": _font(item, "font", size)} for item in layout[key]]
    if layout.get("sliders"):
        layout["sliders"] = [{**item, "currentvalue": {**item.get("currentvalue", {}),
                                                        "font": _font(item.get("currentvalue", {}), "font", size)}}
                             if "currentvalue" in item else item for item in layout["sliders"]]
    return {**figure, "layout": layout, "data": [_colour_bars(trace, size) for trace in figure.get("data", [])]}
