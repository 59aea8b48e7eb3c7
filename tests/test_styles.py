"""Run colours and markers (viz/styles.py): one per optimizer, apart under colour-vision deficiencies."""

import doctest

import pytest

import optim_core
from test_figures import CVD, smallest_difference
from viz import styles


def test_the_doctests():
    assert doctest.testmod(styles).failed == 0


def test_every_optimizer_has_its_own_colour_and_marker():
    assert set(styles.OPTIMIZER_COLOURS) == set(styles.OPTIMIZER_SYMBOLS) == set(optim_core.names())
    assert len(set(styles.OPTIMIZER_COLOURS.values())) == len(styles.OPTIMIZER_COLOURS)
    assert len(set(styles.OPTIMIZER_SYMBOLS.values())) == len(styles.OPTIMIZER_SYMBOLS)


@pytest.mark.parametrize("deficiency", [None, *CVD])
def test_optimizer_colours_stay_apart_with_and_without_colour_vision_deficiencies(deficiency):
    identity = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    assert smallest_difference(tuple(styles.OPTIMIZER_COLOURS.values()), CVD.get(deficiency, identity)) > 15


def test_no_run_marker_looks_like_a_landmark():
    for optimizer in optim_core.names():
        for variant in range(8):
            symbol = styles.run_style(optimizer, variant).symbol
            assert symbol.removesuffix("-open") not in styles.LANDMARK_SYMBOLS
            # the start is a white circle with a dark rim: no run is white
            assert styles.run_style(optimizer, variant).colour.upper() != "#FFFFFF"


def test_runs_of_one_optimizer_differ_by_shade_and_fill():
    looks = [styles.run_style("adam", k) for k in range(8)]
    assert len({look.colour for look in looks}) == 8
    assert looks[0].symbol == "pentagon" and looks[1].symbol == "pentagon-open"


def test_variants_are_kept_and_reused():
    assert styles.scene_variants(["adam", "sgd", "adam", "adam"]) == (0, 0, 1, 2)
    # run 2 of three Adams removed: the others keep theirs, a new Adam takes the free shade
    assert styles.first_free_variant("adam", [("adam", 0), ("adam", 2), ("sgd", 1)]) == 1
    assert styles.first_free_variant("sgd", [("adam", 0)]) == 0
