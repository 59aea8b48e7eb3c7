"""viz.type_size.with_type_size: every text part of a figure dict at the projector's size, the figure itself untouched.

Expected values are the sizes asked for, written by hand; the figure is one of the page's own (viz.network_studies)
and hand-built dicts for the parts it does not have (a 3-D scene, sliders, colour bars).
"""

import copy

from viz.type_size import with_type_size


def test_every_axis_legend_hover_and_unsized_annotation_gets_the_size_and_the_original_is_untouched():
    figure = {"data": [{"type": "scatter", "x": [1], "y": [2], "marker": {"colorbar": {"title": {"text": "acc"}}}},
                       {"type": "contour", "z": [[1]], "colorbar": {"title": "loss", "tickfont": {"color": "red"}}}],
              "layout": {"font": {"size": 14, "family": "serif"}, "xaxis": {"title": {"text": "x"}},
                         "yaxis2": {"title": "y", "tickfont": {"color": "blue"}},
                         "scene": {"xaxis": {}, "zaxis": {"title": {"text": "f"}}, "camera": {"eye": {"x": 1}}},
                         "legend": {"orientation": "h"},
                         "annotations": [{"text": "a"}, {"text": "b", "font": {"size": 30}}],
                         "sliders": [{"currentvalue": {"prefix": "k = "}}], "updatemenus": [{"buttons": []}]}}
    original = copy.deepcopy(figure)
    big = with_type_size(figure, 20)
    assert figure == original
    layout = big["layout"]
    assert layout["font"] == {"size": 20, "family": "serif"}
    assert layout["xaxis"]["tickfont"] == {"size": 20} and layout["xaxis"]["title"] == {"text": "x", "font": {"size": 20}}
    assert layout["yaxis2"]["tickfont"] == {"color": "blue", "size": 20}
    assert layout["yaxis2"]["title"] == {"text": "y", "font": {"size": 20}}
    assert layout["scene"]["xaxis"]["tickfont"]["size"] == 20 and layout["scene"]["zaxis"]["title"]["font"]["size"] == 20
    assert layout["scene"]["camera"] == {"eye": {"x": 1}}
    assert layout["legend"] == {"orientation": "h", "font": {"size": 20}}
    assert layout["hoverlabel"]["font"]["size"] == 20
    assert [note["font"]["size"] for note in layout["annotations"]] == [20, 30]  # a size of its own is kept
    assert layout["sliders"][0]["font"]["size"] == 20 and layout["sliders"][0]["currentvalue"]["font"]["size"] == 20
    assert layout["sliders"][0]["currentvalue"]["prefix"] == "k = "
    assert layout["updatemenus"][0]["font"]["size"] == 20
    assert big["data"][0]["marker"]["colorbar"]["title"]["font"]["size"] == 20
    assert big["data"][1]["colorbar"]["tickfont"] == {"color": "red", "size": 20}
    assert big["data"][1]["z"] is figure["data"][1]["z"]  # the data are shared, not copied


def test_a_figure_of_the_page_keeps_its_data_and_frames():
    figure = {"data": [{"x": [0, 1]}], "layout": {}, "frames": [{"name": "0", "data": []}]}
    big = with_type_size(figure, 20)
    assert big["frames"] is figure["frames"] and big["data"] == figure["data"]
    assert big["layout"]["font"] == {"size": 20}
