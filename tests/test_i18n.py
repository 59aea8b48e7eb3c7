"""English / 中文: the page walked in both languages with streamlit.testing.v1.AppTest, and the table.

In Chinese every text the page shows (widget labels, help texts, options as displayed, captions,
messages, tab and expander labels, the figures' titles, buttons, annotations, hover texts, the names
of traces that are not runs, and every word the run rows are sent) must contain Chinese, unless it
is language-neutral: numbers, LaTeX, formulas, run labels such as "Adam lr=0.3" and the few words of
NEUTRAL_WORDS.  In English no text contains Chinese but the language menu's own "中文".
"""

import ast
import json
import pickle
import re
from pathlib import Path

import pytest
from test_app import edit_runs, rows_data, shown
from streamlit.testing.v1 import AppTest

import optim_core
import page_model
import surfaces
from optim_core import analysis
from ui import explore_views
from viz import equations, i18n

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")

# --- what counts as language-neutral ---------------------------------------------------------------

ALGORITHMS = tuple(rule.title for rule in optim_core.RULES.values())  # SGD, Momentum, …, AdamW
NEUTRAL_WORDS = {
    *ALGORITHMS,
    "lr", "mu", "beta1", "beta2", "eps", "rho", "decay_rate", "weight_decay",  # hyperparameter names
    "sin", "cos", "tan", "exp", "log", "log10", "sqrt", "abs", "tanh", "sinh", "cosh", "arctan", "pi",  # formulas
    "min", "max",  # of λmin, λmax
    "inf", "nan",  # a diverged run's numbers
    "CSV", "JSON",  # file formats, named so in Chinese too
}
OWN_NAMES = {"en": "English", "zh": "中文"}  # the language menu names each language in its own words
RUN_LABEL = re.compile(r"\b(?:%s)(?: [a-z_0-9]+=[^\s,;<]+)+" % "|".join(ALGORITHMS))
LATEX = re.compile(r"\$\$.*?\$\$|\$[^$]*\$", re.S)
PLOTLY_FIELD = re.compile(r"%\{[^}]*\}")
COLOUR_MARKUP = re.compile(r":[a-z]+\[|\]")  # Streamlit's :red[...]
WORD = re.compile(r"[A-Za-z][A-Za-z_0-9]*")


def segments(text: str) -> list:
    """The pieces of a text between HTML tags (a table's cells, a hover text's lines)."""
    text = re.sub(r"<style>.*?</style>", " ", text, flags=re.S)  # CSS is in no language
    return [piece for piece in re.split(r"<[^>]*>", text) if piece.strip()]


def is_neutral(text: str) -> bool:
    """No word of a language in it: what is left after LaTeX, run labels and Plotly's fields are taken out
    is numbers, symbols, single letters and NEUTRAL_WORDS."""
    text = RUN_LABEL.sub(" ", COLOUR_MARKUP.sub(" ", PLOTLY_FIELD.sub(" ", LATEX.sub(" ", text))))
    return all(len(word) == 1 or word in NEUTRAL_WORDS for word in WORD.findall(text))


def untranslated(texts, lang: str) -> list:
    """The texts (where, text) that are not in ``lang``."""
    bad = []
    for where, text in texts:
        if text == OWN_NAMES["en" if lang == "zh" else "zh"]:
            continue
        if lang == "en":
            if i18n.has_chinese(text):
                bad.append((where, text))
        else:
            bad += [(where, piece) for piece in segments(text)
                    if not i18n.has_chinese(piece) and not is_neutral(piece)]
    return bad


# --- what the page shows -------------------------------------------------------------------------------

TEXT_FIELDS = {"label", "help", "body", "options", "placeholder", "content"}
FIGURE_TEXT_KEYS = {"text", "title", "name", "hovertemplate", "hovertext", "label", "prefix", "suffix"}


def proto_texts(message, where: str) -> list:
    texts = []
    for field, value in message.ListFields():
        if field.name in ("spec", "id"):
            continue
        values = value if field.is_repeated else [value]
        for item in values:
            if isinstance(item, str):
                if field.name in TEXT_FIELDS and item.strip():
                    texts.append((f"{where}.{field.name}", item))
            elif hasattr(item, "ListFields"):
                texts += proto_texts(item, where)
    return texts


def figure_texts(figure, where: str = "figure") -> list:
    """Every text of a Plotly figure (titles, annotations, buttons, trace names, hover texts), frames included."""
    texts = []
    if isinstance(figure, dict):
        for key, value in figure.items():
            if key in FIGURE_TEXT_KEYS:
                if isinstance(value, str):
                    texts.append((f"{where}.{key}", value))
                elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                    texts += [(f"{where}.{key}", v) for v in value]
            if isinstance(value, (dict, list)):
                texts += figure_texts(value, f"{where}.{key}")
    elif isinstance(figure, list):
        for item in figure:
            texts += figure_texts(item, where)
    return texts


def rows_texts(data: dict) -> list:
    """(where, text) for every text the run rows show or may show (ui/run_rows.rows_data): the words, the
    optimizers' names, each row's title, each control's label, help, sign and choices (those under "⋯" too: the
    browser opens it without asking the page), the stable / edge tooltips and the stability text."""
    texts = [(f"run_rows.word.{key}", word) for key, word in data["words"].items()]
    texts += [(f"run_rows.optimizer.{name}", title) for name, title in data["optimizers"]]
    for row in data["rows"]:
        where = f"run_rows.row{row['number']}"
        texts.append((f"{where}.title", row["title"]))
        for control in (row["lr"], row["main"], *row["more"]):
            if control is None:
                continue
            place = f"{where}.{control['name']}"
            texts += [(f"{place}.label", control["label"]), (f"{place}.help", control["help"]),
                      (f"{place}.symbol", control["symbol"])]
            texts += [(f"{place}.choice.{value}", label) for value, label in control.get("choices", ())]
        if row["cue"]:
            texts += [(f"{where}.stable_help", row["cue"]["stable_help"]),
                      (f"{where}.edge_help", row["cue"]["edge_help"])]
        if row["stability"]:
            texts.append((f"{where}.stability", row["stability"]["text"]))
    return texts


def page_texts(at: AppTest) -> list:
    """(where, text) for every text on the page, figures and the run rows included; LaTeX elements are formulas."""
    texts = []

    def visit(node):
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        if kind == "plotly_chart":
            texts.extend(figure_texts(json.loads(proto.spec), "plotly_chart"))
        elif kind == "bidi_component" and proto.component_name == "optimizer_paths_run_rows":
            texts.extend(rows_texts(json.loads(proto.bytes)))
        elif kind != "latex" and proto is not None and hasattr(proto, "ListFields"):
            texts.extend(proto_texts(proto, kind or type(node).__name__))
        for child in getattr(node, "children", {}).values():
            visit(child)

    visit(at._tree)
    return texts


def check(at: AppTest, lang: str) -> list:
    """The page has no exception and every text is in ``lang``; returns the texts."""
    assert not at.exception, [e.value for e in at.exception]
    texts = page_texts(at)
    assert texts
    assert untranslated(texts, lang) == []
    return texts


def open_page(lang: str, query=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in {**(query or {}), **({"lang": "zh"} if lang == "zh" else {})}.items():
        at.query_params[key] = value
    return at.run()


def open_tab(at: AppTest, view: str, lang: str, section: str | None = None) -> AppTest:
    at.session_state["view"] = i18n.t(view, lang)
    if section:
        at.session_state["explore_section"] = section
    return at.run()


# --- the walks --------------------------------------------------------------------------------------------

LANGS = ("en", "zh")
EVERY_RULE = (  # every optimizer and every convention note of the equations panel, over two pages
    ["sgd:lr=0.1", "momentum:lr=0.1", "nesterov:lr=0.1,form=reformulated", "adagrad:lr=1", "rmsprop:lr=0.01",
     "adam:lr=0.1,bias_correction=0", "newton:lr=1", "adadelta:lr=1"],
    ["nesterov:lr=0.1", "adam:lr=0.1,eps_placement=book", "adam:lr=0.1,eps_placement=inside", "nadam:lr=0.1",
     "amsgrad:lr=0.1", "adamw:lr=0.1"],
)


@pytest.mark.parametrize("lang", LANGS)
def test_the_default_page_and_its_tabs(lang):
    at = open_page(lang, {"average": "1", "field": "1", "schedule": "step"})
    texts = check(at, lang)
    assert ("markdown.body", "### " + i18n.surface_title(surfaces.get("bowl"), lang)) in texts
    for view in ("3-D surface", "Update rules"):
        check(open_tab(at, view, lang), lang)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("runs", EVERY_RULE)
def test_the_update_rules_of_every_optimizer(lang, runs):
    at = open_tab(open_page(lang, {"run": runs}), "Update rules", lang)
    check(at, lang)
    shown = " ".join(m.value for m in at.markdown)
    for text in runs:
        assert equations.intuition(text.split(":")[0], lang) in shown


@pytest.mark.parametrize("lang", LANGS)
def test_the_explore_sections(lang):
    at = open_page(lang, {"run": ["sgd:lr=0.1", "momentum:lr=0.1,mu=0.9", "nesterov:lr=0.1,mu=0.9"]})
    at = open_tab(at, "Explore", lang, "Sweep")
    check(at, lang)  # a 1-D sweep of SGD's lr, with GD's theory
    at.selectbox(key="sweep_run").set_value(1).run()  # Momentum: the lr × mu heatmap with its theory
    check(at, lang)
    at.radio(key=f"sweep_colour@{lang}").set_value("loss").run()
    check(at, lang)
    at.number_input(key="sweep.lr.lo").set_value(5.0).run()
    at.number_input(key="sweep.lr.hi").set_value(1.0).run()  # from 5 to 1: a message, not a sweep
    assert at.error and check(at, lang)
    for section in ("Basins", "One step"):
        check(open_tab(at, "Explore", lang, section), lang)
    at.selectbox(key="step_run").set_value(2).run()  # Nesterov: its look-ahead point
    check(at, lang)
    at = open_tab(at, "Explore", lang, "Random search")
    at.slider(key="search_lr").set_value((-6.0, -4.0)).run()  # the best lr lies on the upper edge
    assert at.warning and check(at, lang)
    at.button(key="search_add_best").click().run()
    assert at.success and check(at, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_the_learning_rate_and_line_search_views(lang):
    at = open_page(lang, {"run": ["sgd:lr=2,line_search=armijo", "bfgs:lr=1", "momentum:lr=0.01"]})
    at = open_tab(at, "Explore", lang, "Learning rates")
    check(at, lang)
    at.selectbox(key="rates_run").set_value(2).run()  # Momentum at 0.01: the good rate lies on the upper edge
    assert at.warning and check(at, lang)
    at = open_tab(at, "Explore", lang, "Line search")
    check(at, lang)  # SGD's Armijo backtracking on the bowl: a rejected trial, then the accepted one
    at.selectbox(key="search_step_run").set_value(1).run()  # BFGS with a strong Wolfe search
    check(at, lang)
    at.selectbox(key="search_step_run").set_value(2).run()  # Momentum takes a fixed step: a sentence says so
    assert at.info and check(at, lang)
    for view in ("Paths", "Update rules"):  # the trial rays, the curvature ellipses, BFGS's equation
        at.session_state["view"] = i18n.t(view, lang)
        check(at.run(), lang)


@pytest.mark.parametrize("lang", LANGS)
def test_basins_with_several_minima_and_with_none(lang):
    at = open_tab(open_page(lang, {"surface": "himmelblau", "start": "0,0", "run": "sgd:lr=0.01"}), "Explore", lang,
                  "Basins")
    at.select_slider(key="basins_resolution").set_value(30).run()
    check(at, lang)
    at = open_tab(open_page(lang, {"surface": "saddle", "run": "adam:lr=0.05"}), "Explore", lang, "Basins")
    assert at.info and check(at, lang)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("preset", ["saddle", "ill_conditioned"])
def test_a_preset(lang, preset):
    at = open_page(lang)
    at.selectbox(key=f"preset@{lang}").set_value(preset).run()
    check(at, lang)
    assert at.session_state["lang"] == lang  # a preset does not change the page's language


@pytest.mark.parametrize("lang", LANGS)
def test_a_diverging_run_and_every_surface_name(lang):
    at = open_page(lang, {"run": ["sgd:lr=10", "adam:lr=0.3"], "surface": "rosenbrock"})
    texts = check(at, lang)
    assert any("⚠" in text for _, text in texts)
    assert len(at.selectbox(key=f"surface@{lang}").options) == len(surfaces.names()) + 1


@pytest.mark.parametrize("lang", LANGS)
def test_the_formula_surface_and_a_refused_formula(lang):
    at = open_page(lang)
    at.selectbox(key=f"surface@{lang}").set_value(page_model.FORMULA).run()
    check(at, lang)
    at.text_input(key="formula_text").set_value("__import__('os').system('ls')").run()
    [message] = [shown(e.value) for e in at.error]
    assert "__import__('os').system" in message
    check(at, lang)
    at.text_input(key="formula_text").set_value("2x + y").run()  # a syntax error, in Python's words
    check(at, lang)
    at.number_input(key="formula_x_lo").set_value(9.0).run()  # from 9 to 5: not a range
    assert "(9, 5)" in shown(at.error[0].value)
    check(at, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_a_malformed_url_warns_in_the_pages_language(lang):
    at = open_page(lang, {"steps": "abc", "surface": "ill_conditioned", "surface.zeta": "1", "surface.kappa": "0.5",
                          "run": ["adamax:lr=1", "sgd:lr=-5", "momentum:zeta=3", "adam:eps_placement=under"] + [
                              "sgd:lr=0.1"] * 6,
                          "start": "x,y", "average": "yes", "schedule": "cosine", "tol": "0.5", "x_range": "1"})
    assert len(at.warning) >= 9
    check(at, lang)
    at = open_page(lang, {"surface": page_model.FORMULA, "formula": "os.system('ls')", "x_range": "3,1"})
    assert len(at.warning) == 2
    check(at, lang)


def test_switching_the_language_keeps_the_open_tab_and_the_scene():
    at = open_page("en", {"surface": "himmelblau", "start": "0,0", "run": "sgd:lr=0.01"})
    at = open_tab(at, "Explore", "en", "Basins")
    at.select_slider(key="basins_resolution").set_value(30).run()
    at.selectbox(key="lang").set_value("zh").run()
    check(at, "zh")
    assert at.session_state["view"] == "探索" and at.session_state["surface"] == "himmelblau"
    assert at.query_params["lang"] in ("zh", ["zh"])
    assert at.get("button_group") and "到达了所列 4 个极小值中的 4 个。" in [c.value for c in at.caption]
    at.selectbox(key="lang").set_value("en").run()
    check(at, "en")
    assert at.session_state["view"] == "Explore" and "Reached 4 of the 4 listed minima." in [c.value for c in at.caption]


ROWS_RUNS = EVERY_RULE + (["sgd:lr=2,line_search=wolfe", "bfgs:lr=1", "lbfgs:lr=1", "sgd:lr=1.5,line_search=armijo",
                            "momentum:lr=1.5", "sgd:lr=1.5", "adadelta:lr=1"],)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("runs", ROWS_RUNS)
def test_what_the_run_rows_and_export_hold(lang, runs):
    """The run rows draw "⋯" in the browser from what they were sent, so every word of every row is in their
    data (each label, help, sign and choice, the titles, the words, the tooltips and the stability text, a
    warning among them): in the page's language, at the same places as on the English page, and, where the
    English is an entry of viz/i18n.py's table, its entry.  Export still draws its content only while open: opened
    here, the picture size and the six downloads."""
    at = open_page(lang, {"run": runs})
    texts = rows_texts(rows_data(at))
    english = rows_texts(rows_data(open_page("en", {"run": runs})))
    assert [where for where, _ in texts] == [where for where, _ in english]
    assert any(".choice." in where for where, _ in texts) and any(where.endswith(".help") for where, _ in texts)
    assert untranslated(texts, lang) == []
    for (where, text), (_, en) in zip(texts, english):
        if lang == "en":
            assert text == en
            continue
        if not is_neutral(en):
            assert text != en and i18n.has_chinese(text), (where, text)
        if where.endswith(".help") or ".choice." in where or ".word." in where:
            assert en in i18n.ZH or is_neutral(en), (where, en)  # a table entry (else it could not be translated)
        if en in i18n.ZH:
            assert text == i18n.ZH[en], (where, text)
        elif where.endswith(".label") and en.endswith(" (log scale)"):
            param = en.removesuffix(" (log scale)")
            assert text == i18n.t("{param} (log scale)", "zh", param=i18n.t(param, "zh")), (where, text)
        elif where.endswith(".title"):
            number, title = re.fullmatch(r"Run (\d+): (.+)", en).groups()
            assert text == i18n.t("Run {n}: {title}", "zh", n=number, title=title), (where, text)
    if lang == "zh":  # a warning past the limit, in Chinese (SGD at 1.5 on the bowl, 2/λmax = 1)
        assert any(where.endswith(".stability") and text.startswith("⚠") for where, text in texts) == (
            "sgd:lr=1.5" in runs)
    at.session_state["export_open"] = True
    at.run()
    check(at, lang)
    assert len(at.get("download_button")) == 6


def test_a_page_without_runs():
    for lang in LANGS:
        at = open_page(lang, {"run": "sgd:lr=0.1"})
        run_id = at.session_state["run_ids"][0]
        edit_runs(at, (run_id, "remove", None))  # "Remove this run", under the row's "⋯"
        assert at.session_state["run_ids"] == [] and rows_data(at)["rows"] == []
        assert at.info and check(at, lang)
        assert open_tab(at, "Explore", lang, "Sweep").info and check(at, lang)


# --- the table and the messages ----------------------------------------------------------------------------


def test_templates_have_the_same_placeholders_in_both_languages():
    for english, chinese in i18n.ZH.items():
        assert i18n.placeholders(english) == i18n.placeholders(chinese), english
        assert chinese != english, english


def _string_constants() -> set:
    """Every string constant of the project's code but the table itself (implicit concatenation joined)."""
    constants = set()
    files = [ROOT / "app.py", *(path for folder in ("ui", "viz", "optim_core", "page_model", "surfaces", "nets")
                                for path in (ROOT / folder).rglob("*.py"))]
    for path in files:
        if path.name == "i18n.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
                constants.update(re.findall(r"\\text\{ \((.+?)\)\}", node.value))  # words inside LaTeX
    return constants


def test_every_entry_of_the_table_is_used():
    constants = _string_constants()
    assert [key for key in i18n.ZH if key not in constants] == []


def test_every_surface_has_a_chinese_name():
    for surface_id in surfaces.names():
        surface = surfaces.get(surface_id)
        assert i18n.has_chinese(i18n.surface_title(surface, "zh")), surface_id
        assert i18n.surface_title(surface, "en") == surface.title
    rosenbrock = surfaces.get("rosenbrock", a=1.5)
    assert i18n.surface_title(rosenbrock, "zh") == "Rosenbrock 函数 (a = 1.5, b = 100)"
    typed = surfaces.from_formula("x**2 + y**2")
    assert i18n.surface_title(typed, "zh") == typed.title


def test_messages_render_in_either_language_and_survive_pickling():
    _, warnings = page_model.from_query({"steps": "abc", "run": ["momentum:lr=abc"]})
    run, steps = warnings
    assert steps == "URL value steps='abc' is not valid (a whole number from 1 to 3000); using 30."
    assert steps.render("zh") == "URL 中的 steps='abc' 无效（应为 1 到 3000 之间的整数）；改用 30。"
    assert run.render("zh").startswith("运行 1（momentum）：lr='abc' 无效")
    for warning in warnings:
        again = pickle.loads(pickle.dumps(warning))
        assert again == warning and again.render("zh") == warning.render("zh")
    assert i18n.t("diverged at step {k}", "zh", k=13) == "在第 13 步发散"
    assert i18n.t("not in the table {k}", "zh", k=1) == "not in the table 1"  # falls back to the English


def test_errors_carry_their_chinese():
    with pytest.raises(ValueError) as refused:
        surfaces.from_formula("os")
    message = i18n.Message.of(refused.value)
    assert message == str(refused.value) and message.render("zh") == "第 1 列的名称 'os' 未知：变量是 x 和 y，常数是 pi 和 e"
    assert pickle.loads(pickle.dumps(refused.value)).zh == refused.value.zh
    with pytest.raises(ValueError) as refused:
        page_model.check_range(9.0, 5.0, "x range")
    assert str(refused.value) == "x range = (9, 5) is not valid: give low < high, both within ±10000"
    assert i18n.render(refused.value, "zh") == "x 范围 = (9, 5) 无效：下限必须小于上限，且都在 ±10000 以内"
    plain = i18n.Message.of(ValueError("engine says no"))
    assert plain.render("zh") == "engine says no"  # wrapped in a translated sentence by the page


@pytest.mark.parametrize("text", ["x +", "2x", "(x", "sin(x, y)", "x ^ 2", "x.real", "'a'", "1j*x", "x < y",
                                  "x**y", "exp(x)**20", "foo(x)", "__x", "sin", "x // 2", "", "x" * 501])
def test_every_kind_of_formula_refusal_has_a_chinese_text_naming_the_same_column(text):
    with pytest.raises(ValueError) as refused:
        surfaces.from_formula(text)
    zh = refused.value.zh
    assert i18n.has_chinese(zh)
    column = re.search(r"at column (\d+)", str(refused.value))
    if column:
        assert f"第 {column.group(1)} 列" in zh


def test_the_boundary_warning_is_rendered_from_the_search_result():
    bowl = surfaces.get("bowl")
    result = analysis.random_search(bowl, "sgd", {"lr": (1e-6, 1e-4, True)}, 49, seed=0, steps=300)
    assert result.on_boundary  # the best lr is on the upper edge
    [warning] = explore_views.boundary_warnings("coarse", result)
    assert warning == "Coarse stage: " + result.on_boundary[0]
    assert warning.render("zh").startswith("粗搜索阶段：最佳的 lr = ") and "上边界" in warning.render("zh")


def test_the_neutral_check_itself():
    assert is_neutral("SGD lr=0.95") and is_neutral("Adam lr=0.3 eps_placement=inside")
    assert is_neutral(r"$x_{k-1}$ (−7, 2) 1e-05 ‖∇f‖ ≤ 1e-8") and is_neutral("x=%{x:.3g}, y=%{y:.3g}")
    assert is_neutral("2/λmax = 1; 2(1+μ)/λmax = 1.9") and is_neutral("β₁")
    assert not is_neutral("ran all 30 steps") and not is_neutral("step %{x}: %{y:.3g}")
    assert untranslated([("x", "<b>运行</b><i>steps</i>")], "zh") == [("x", "steps")]
    assert untranslated([("x", "中文")], "en") == [] and untranslated([("x", "步")], "en")
