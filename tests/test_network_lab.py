"""page_model.network_lab, pure (no Streamlit): the network lab's settings, their URL form (net.*), the defaults
and the presets.

Golden values come from outside the code under test:

* the book's Fig. 6-9 (*Deep Learning from Scratch*, ch06/optimizer_compare_mnist.py) builds SGD(), Momentum(),
  AdaGrad(), Adam() with the defaults of common/optimizer.py: SGD(lr=0.01), Momentum(lr=0.01, momentum=0.9),
  AdaGrad(lr=0.01), Adam(lr=0.001, ...); it trains MultiLayerNet(input_size=784, hidden_size_list=[100, 100, 100,
  100], output_size=10) at batch_size = 128;
* the spiral is 2-D with 3 arms by default (cs231n's case study), the digits are 8 × 8 = 64 pixels, 10 classes;
* the valid ranges are the ones the lab documents (1–6 hidden layers, 2–200 units, batch ≤ 2000, iterations ≤ 5000,
  seed 0 … 1,000,000, learning rates 1e-5 … 10, at most 8 runs).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nets import data as datasets
from page_model import network_lab
from page_model.network_lab import Lab, from_query, to_query

MAX_RUNS = 8  # the page's most runs (page_model.scene.MAX_RUNS): the most network learning rates a link holds


def warnings_text(warnings) -> str:
    return " ".join(str(w) for w in warnings)


# --- round trips --------------------------------------------------------------------------------------------


def test_the_default_lab_is_an_empty_query():
    assert to_query(Lab()) == {}
    assert from_query({}) == (Lab(), [])


@pytest.mark.parametrize("name", list(network_lab.PRESETS))
def test_every_preset_round_trips(name):
    lab = network_lab.PRESETS[name]
    back, warnings = from_query(to_query(lab))
    assert warnings == []
    assert back == lab


def test_a_hand_written_query_reads_as_written():
    query = {"net.data": "moons", "net.points": "500", "net.noise": "0.25", "net.layers": "3", "net.units": "50",
             "net.act": "tanh", "net.batch": "32", "net.iters": "200", "net.seed": "7", "net.init": "xavier",
             "net.lr": "0.1,0.002,1e-05,10", "net.view": "landscape", "net.plane": "random"}
    lab, warnings = from_query(query)
    assert warnings == []
    assert lab == Lab(data="moons", data_params=(("points", 500), ("noise", 0.25)), layers=3, units=50,
                      activation="tanh", batch=32, iterations=200, seed=7, init="xavier",
                      lrs=(0.1, 0.002, 1e-05, 10.0), view="landscape", plane="random")
    assert to_query(lab) == query  # and written back exactly as the hand-written link


def _param_value(param):
    if param.integer:
        return st.integers(int(param.low), int(param.high))
    return st.floats(float(param.low), float(param.high), allow_nan=False, allow_infinity=False)


@st.composite
def labs(draw):
    name = draw(st.sampled_from(["spiral", "moons", "circles", "xor", "blobs", "digits"]))
    params = tuple((param.name, draw(_param_value(param))) for param in datasets.DATASETS[name].params)
    return Lab(data=name, data_params=params,
               layers=draw(st.integers(1, 5)), units=draw(st.integers(2, 200)),
               activation=draw(st.sampled_from(["relu", "sigmoid", "tanh"])),
               batch=draw(st.integers(1, 2000)), iterations=draw(st.integers(1, 5000)),
               seed=draw(st.integers(0, 1_000_000)),
               init=draw(st.sampled_from(["he", "xavier", "0.01", "0.1", "1"])),
               lrs=tuple(draw(st.lists(st.floats(1e-5, 10.0, allow_nan=False), max_size=MAX_RUNS))),
               view=draw(st.sampled_from(["loss", "regions", "landscape", "gradcheck"])),
               plane=draw(st.sampled_from(["pca", "random"])))


@settings(max_examples=300, deadline=None)
@given(labs())
def test_any_valid_lab_round_trips(lab):
    query = to_query(lab)
    assert all(key.startswith("net.") and isinstance(value, str) for key, value in query.items())
    back, warnings = from_query(query)
    assert warnings == []
    assert back == lab


@settings(max_examples=100, deadline=None)
@given(labs())
def test_a_repeated_key_reads_its_last_value(lab):
    """The page hands every key as a list (st.query_params.get_all): the last one counts."""
    query = {key: ["junk", value] for key, value in to_query(lab).items()}
    assert from_query(query) == (lab, [])


# --- bad values: a warning naming the key and its range, and the default -------------------------------------

RANGES = {  # key: (the range as a warning must give it, the field of Lab, its default)
    "net.layers": ("1 to 6", "layers", 1),
    "net.units": ("2 to 200", "units", 100),
    "net.batch": ("1 to 2000", "batch", 100),
    "net.iters": ("1 to 5000", "iterations", 1000),
}
BAD_NUMBERS = ["0", "-1", "99999", "abc", "", "1.5", "nan", "inf", "-inf", "1e400", "0x10", "3 units"]


@pytest.mark.parametrize("text", BAD_NUMBERS)
@pytest.mark.parametrize("key", list(RANGES))
def test_a_bad_whole_number_warns_with_its_range_and_falls_back(key, text):
    valid, field, default = RANGES[key]
    lab, warnings = from_query({key: text})
    assert getattr(lab, field) == default
    assert lab == Lab()
    assert len(warnings) == 1
    [warning] = warnings
    assert f"{key}={text!r}" in warning, warning
    assert valid in warning and "whole number" in warning, warning
    assert f"using {default}" in warning, warning


@pytest.mark.parametrize("text", ["-1", "1000001", "0.5", "seven", "nan"])
def test_a_bad_seed_warns_with_its_range(text):
    lab, [warning] = from_query({"net.seed": text})
    assert lab.seed == 0
    assert f"net.seed={text!r}" in warning
    # the range 0 … 1,000,000, however the number is written
    assert any(high in warning for high in ("0 to 1000000", "0 to 1,000,000", "0 to 1e+06")), warning


@pytest.mark.parametrize("key, text, valid, field, default", [
    ("net.data", "mnist", "one of spiral, moons, circles, xor, blobs, digits", "data", "spiral"),
    ("net.data", "Spiral", "one of spiral, moons, circles, xor, blobs, digits", "data", "spiral"),
    ("net.act", "softmax", "one of relu, sigmoid, tanh", "activation", "relu"),
    ("net.act", "ReLU", "one of relu, sigmoid, tanh", "activation", "relu"),
    ("net.init", "0.5", "one of he, xavier, 0.01, 0.1, 1", "init", "he"),
    ("net.view", "curves", "one of loss, regions, landscape, gradcheck", "view", "loss"),
    ("net.plane", "3d", "one of pca, random", "plane", "pca"),
])
def test_an_unknown_choice_warns_with_the_valid_ones(key, text, valid, field, default):
    lab, warnings = from_query({key: text})
    assert lab == Lab() and getattr(lab, field) == default
    [warning] = warnings
    assert f"{key}={text!r}" in warning and valid in warning and f"using {default}" in warning, warning


@pytest.mark.parametrize("data, key, text, valid, default", [
    ("spiral", "net.points_per_class", "5", "20 to 2000", 100),
    ("spiral", "net.points_per_class", "100.5", "20 to 2000", 100),
    ("spiral", "net.classes", "11", "2 to 10", 3),
    ("spiral", "net.noise", "1.5", "0 to 1", 0.2),
    ("spiral", "net.noise", "lots", "0 to 1", 0.2),
    ("moons", "net.points", "19", "20 to 2000", 300),
    ("circles", "net.factor", "0.95", "0.1 to 0.9", 0.5),
    ("blobs", "net.spread", "-0.1", "0 to 2", 0.5),
])
def test_a_bad_data_set_parameter_warns_and_falls_back(data, key, text, valid, default):
    lab, warnings = from_query({"net.data": data, key: text})
    assert lab.data == data
    assert dict(lab.data_params)[key[len("net."):]] == default
    assert lab == Lab(data=data)
    [warning] = warnings
    assert f"{key}={text!r}" in warning and valid in warning, warning


def test_a_bad_data_set_falls_back_to_the_spiral_with_its_own_parameters():
    lab, warnings = from_query({"net.data": "mnist", "net.noise": "0.3"})
    assert lab == Lab(data_params=(("noise", 0.3),))  # the spiral's noise, read from the same link
    assert len(warnings) == 1 and "net.data='mnist'" in warnings[0]


LR_RANGE_WORDS = "from 1e-05 to 10"


@pytest.mark.parametrize("text", [
    "0", "-0.01", "11", "0.1,abc", "abc", "", ",", "0.1,,0.2", "0.1;0.2", "nan", "inf", "0.1,1e-6", "1e400",
    ",".join(["0.01"] * (MAX_RUNS + 1)),  # one more than the page's runs
])
def test_a_bad_learning_rate_list_warns_and_takes_each_optimizers_default(text):
    lab, warnings = from_query({"net.lr": text})
    assert lab.lrs == () and lab == Lab()
    [warning] = warnings
    assert "net.lr=" in warning and LR_RANGE_WORDS in warning, warning
    assert "default" in warning, warning


def test_learning_rates_at_the_edges_and_as_many_as_runs_are_taken():
    lab, warnings = from_query({"net.lr": ",".join(["1e-05"] * (MAX_RUNS - 1) + ["10"])})
    assert warnings == [] and lab.lrs == (1e-5,) * (MAX_RUNS - 1) + (10.0,)


def test_every_bad_value_at_once_gives_one_warning_each():
    query = {"net.data": "mnist", "net.layers": "9", "net.units": "x", "net.act": "gelu", "net.batch": "0",
             "net.iters": "1e9", "net.seed": "-3", "net.init": "zero", "net.lr": "5,5,x", "net.view": "3d",
             "net.plane": "pcb"}
    lab, warnings = from_query(query)
    assert lab == Lab()
    assert len(warnings) == len(query)
    text = warnings_text(warnings)
    for key, value in query.items():
        assert f"{key}={value!r}" in text, key


# --- the defaults: the book's Fig. 6-9 -------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.01), ("momentum", 0.01), ("adagrad", 0.01), ("adam", 0.001)])
def test_the_default_network_learning_rates_are_the_books(optimizer, lr):
    """ch06/optimizer_compare_mnist.py: SGD(), Momentum(), AdaGrad(), Adam() at common/optimizer.py's defaults."""
    assert network_lab.default_lr(optimizer) == lr
    assert Lab().lr(0, optimizer) == lr
    assert Lab(lrs=(0.5,)).lr(1, optimizer) == lr  # a run past the given rates takes its optimizer's default
    assert Lab(lrs=(0.5,)).lr(0, optimizer) == 0.5


def test_the_default_lab():
    lab = Lab()
    assert (lab.data, lab.layers, lab.units, lab.activation, lab.batch, lab.iterations, lab.seed, lab.init,
            lab.lrs, lab.view, lab.plane) == ("spiral", 1, 100, "relu", 100, 1000, 0, "he", (), "loss", "pca")
    # cs231n's spiral: 100 points per class, 3 classes, noise 0.2
    assert dict(lab.data_params) == {"points_per_class": 100, "classes": 3, "noise": 0.2}


# --- the architecture ------------------------------------------------------------------------------------------


def test_the_spiral_network_is_2_100_3_with_603_weights():
    lab = Lab()
    arch = lab.architecture(lab.dataset())
    assert tuple(arch.sizes) == (2, 100, 3) and arch.activation == "relu"
    assert arch.n_params == 2 * 100 + 100 + 100 * 3 + 3 == 603


@pytest.mark.parametrize("lab, sizes", [
    (Lab(layers=3, units=20), (2, 20, 20, 20, 3)),
    (Lab(data_params=(("classes", 5),)), (2, 100, 5)),
    (Lab(data="moons", units=8), (2, 8, 2)),
    (Lab(data="digits"), (64, 100, 10)),
    (Lab(data="digits", layers=2, units=50, activation="tanh"), (64, 50, 50, 10)),
])
def test_the_architecture_is_inputs_hidden_classes(lab, sizes):
    arch = lab.architecture(lab.dataset())
    assert tuple(arch.sizes) == sizes and arch.activation == lab.activation
    assert arch.n_params == sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def test_the_book_digits_preset_is_the_books_five_layer_network_at_batch_128():
    lab = network_lab.PRESETS["book_digits"]
    assert lab.data == "digits" and lab.batch == 128
    assert lab.hidden == (100, 100, 100, 100)  # hidden_size_list=[100, 100, 100, 100]
    sizes = tuple(lab.architecture(lab.dataset()).sizes)
    assert sizes == (64, 100, 100, 100, 100, 10)  # the digits' 64 pixels instead of MNIST's 784
    assert len(sizes) - 1 == 5  # five affine layers
    assert lab.lrs == ()  # the book's learning rates: each optimizer's default
    assert [lab.lr(i, o) for i, o in enumerate(("sgd", "momentum", "adagrad", "adam"))] == [0.01, 0.01, 0.01, 0.001]


def test_the_spiral_preset_is_the_default_lab():
    assert network_lab.PRESETS["spiral"] == Lab()


def test_init_scale():
    assert Lab().init_scale() == "he" and Lab(init="xavier").init_scale() == "xavier"
    assert Lab(init="0.01").init_scale() == 0.01 and Lab(init="1").init_scale() == 1.0


def test_lab_fills_in_missing_data_parameters_and_keeps_given_ones():
    lab = Lab(data="circles", data_params=(("factor", 0.3),))
    assert lab.data_params == (("points", 300), ("noise", 0.1), ("factor", 0.3))
    assert lab == Lab(data="circles", data_params=(("noise", 0.1), ("factor", 0.3), ("points", 300)))
    assert math.isclose(dict(lab.data_params)["factor"], 0.3)
