"""A lesson step on the network lab: ``net.*`` keys in a step's scene set the lab (its data, network and view)
when the step opens; a step without them leaves the lab as it was.  The expected Labs are written by hand.
"""

from __future__ import annotations

import lessons
from page_model import network_lab
from test_app import no_exception, open_app
from test_lesson_page import LESSON_URL, web  # noqa: F401  (the fixture: the web, replaced)

LESSON = '''id = "chapter6"
[title]
en = "Chapter 6 on a network"
zh = "网络上的第 6 章"
[summary]
en = "Batch Norm, then overfitting."
zh = "批归一化，然后过拟合。"

[[steps]]
scene = "surface=bowl&run=sgd:lr=0.1&view=network&net.view=overfit&net.ofn=100&net.wd=0.03&net.drop=0.2&net.dconv=book"
[steps.text]
en = "Overfitting on 100 images."
zh = "在 100 张图像上过拟合。"

[[steps]]
scene = "surface=bowl&run=sgd:lr=0.1&view=network"
[steps.text]
en = "The same lab, another scene."
zh = "同一个网络实验，另一个场景。"
'''


def test_a_steps_net_keys_become_the_places_lab_and_a_step_without_them_has_none():
    scene, place, problems = lessons.read_scene("surface=bowl&view=network&net.view=batchnorm&net.data=digits"
                                                "&net.layers=4&net.bn=1&net.lrr=-3,0")
    assert problems == []
    assert place["view"] == "network"
    assert place["lab"] == network_lab.Lab(data="digits", layers=4, view="batchnorm", batchnorm=True,
                                           lr_range=(-3.0, 0.0))
    _, place, problems = lessons.read_scene("surface=bowl&view=network")
    assert "lab" not in place and problems == []


def test_a_bad_or_unknown_net_key_is_a_problem_naming_it():
    _, place, problems = lessons.read_scene("view=network&net.drop=0.7&net.colour=red")
    assert place["lab"].dropout == network_lab.Lab().dropout
    assert any("net.drop" in p and "0 to 0.5" in p for p in problems)
    assert any("'net.colour'" in p and "unknown key" in p for p in problems)


def test_opening_a_step_on_the_lab_sets_its_view_and_settings_and_the_next_step_keeps_them(web):  # noqa: F811
    web[LESSON_URL] = LESSON
    at = open_app({"lesson": LESSON_URL, "step": "1"})
    no_exception(at)
    state = at.session_state
    assert (state["net.view"], state["net.ofn"], state["net.wd"], state["net.drop"], state["net.dconv"]) == \
        ("overfit", 100, 0.03, 0.2, "book")
    assert len(at.get("plotly_chart")) == 1  # the overfitting view's chart
    at.button(key="lesson_next").click().run()
    no_exception(at)
    assert (state["net.view"], state["net.wd"], state["net.dconv"]) == ("overfit", 0.03, "book")
