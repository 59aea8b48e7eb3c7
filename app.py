"""Optimizer trajectories for the classroom: the Streamlit page.

Thin on purpose: the scene, the URL, the figures and the equations live in ``viz/`` (no
Streamlit there) and the numbers in ``optim_core``/``surfaces``.  All per-user state is in
``st.session_state``; nothing at module level changes (one server serves a whole class).

Every text is English in the code and goes through ``tr`` (``viz.i18n.t`` in the language of the
"Language" menu), so the page reads in English or Chinese.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import logging
import math

import numpy as np
import streamlit as st

import optim_core
import surfaces
from optim_core import analysis
from viz import equations
from viz import export
from viz import figures as fg
from viz import i18n
from viz import scene as sc
from ui import explore_tab
from ui import runs
from ui import viewport
from ui import widgets
from ui.checked_figure import CheckedFigure
from viz import styles

st.set_page_config(page_title="Optimizer paths", page_icon="📉", layout="wide")
LOG = logging.getLogger("optimizer_paths")

HYPER_LABELS = {  # English; tr() translates
    "lr": "learning rate η (log scale)",
    "mu": "momentum μ",
    "beta1": "β₁",
    "beta2": "β₂",
    "decay_rate": "decay rate ρ",
    "rho": "ρ",
    "eps": "ε (log scale)",
    "weight_decay": "weight decay λ",
    "bias_correction": "bias correction",
    "eps_placement": "ε placement",
    "form": "Nesterov form",
}
SCHEDULE_LABELS = {"constant": "constant", "step": "step decay", "exponential": "exponential  η₀·e^(−kt)",
                   "inverse_time": "1/t  η₀/(1 + kt)"}
# The tabs, by their English labels; st.tabs keeps the open one's label (in the page's language) in
# session_state["view"].
VIEWS = ("Paths", "Explore", "3-D surface", "Update rules")


SCREEN_STYLE = dict(height=660, font_size=14, line_width=2.5)
PROJECTOR_STYLE = dict(height=760, font_size=20, line_width=4.0)
# Projector mode: Streamlit sizes its text in rem, so a larger root font enlarges the whole page.  The
# wider sidebar only while it is open: collapsed, it must leave no strip behind.
PROJECTOR_CSS = ("<style>html { font-size: 20px; } "
                 "[data-testid='stSidebar'][data-collapsed='false'] { min-width: 24rem; }</style>")
# Display settings belong to the teacher, not to the scene: a preset, a surface or a reset keeps them.
DISPLAY_SETTINGS = ("projector", "lang")


def tr(text: str, **params) -> str:
    """``text`` in the page's language (see viz/i18n.py)."""
    return i18n.t(text, st.session_state.get("lang", "en"), **params)


def option_labels():
    """A widget's format_func: an English option label in the page's language."""
    return i18n.translator(st.session_state.get("lang", "en"))


# --- cached pure work -----------------------------------------------------------------------------


@st.cache_data(max_entries=64, show_spinner=False)
def background(surface_key: tuple) -> fg.Background:
    """The surface's picture, cached by what defines the surface (see ``surface_key``)."""
    surface_id, params, formula, x_range, y_range = surface_key
    scene = sc.Scene(surface=surface_id, surface_params=params, formula=formula, x_range=x_range, y_range=y_range)
    return fg.background(scene.surface_object())


def surface_key(scene: sc.Scene) -> tuple:
    return (scene.surface, scene.surface_params, scene.formula, scene.x_range, scene.y_range)


@st.cache_data(max_entries=256, show_spinner=False)
def build_view(scene: sc.Scene, looks: tuple, stacked: bool = False) -> dict:
    """Everything the page draws for a scene: runs it, then builds the figures and the table.
    ``looks`` holds each run's ``styles.RunStyle``; ``stacked`` puts the side panels below the
    paths (a narrow screen)."""
    surface = scene.surface_object()
    trajectories = sc.simulate(scene)
    back = background(surface_key(scene))
    style = PROJECTOR_STYLE if scene.projector else SCREEN_STYLE
    return {
        "figure": fg.paths_figure(surface, scene.start, run_views(scene, trajectories, looks), back,
                                  steps=scene.steps, show_average=scene.average, show_field=scene.field,
                                  lang=scene.lang, stacked=stacked, **style),
        "summary": sc.summarise(scene, trajectories),
        "undefined_share": undefined_share(surface),
    }


def undefined_share(surface) -> float:
    """The fraction of the domain where f is not defined (a typed formula such as log(x))."""
    _, _, _, values = fg.grid(surface, 81, 81)
    return float(np.mean(~np.isfinite(values)))


@st.cache_data(max_entries=64, show_spinner=False)
def build_3d(scene: sc.Scene, looks: tuple) -> dict:
    """The 3-D tab's figure: the surface with every run's path lying on it."""
    return fg.surface_3d_figure(scene.surface_object(), run_views(scene, sc.simulate(scene), looks))


def run_views(scene: sc.Scene, trajectories, looks: tuple) -> list:
    return [fg.RunView(run.label(), look.colour, trajectory, optim_core.RULES[run.optimizer].adaptive, look.symbol)
            for run, trajectory, look in zip(scene.runs, trajectories, looks)]


# --- session state <-> scene ------------------------------------------------------------------------


def load_scene(scene: sc.Scene, *, keep_display: bool = False) -> None:
    """Put a scene into the page's session state (call before the widgets are drawn).  With
    ``keep_display`` the teacher's display settings (projector mode, language) stay as they are."""
    state = st.session_state
    state["surface"] = scene.surface
    for name, value in scene.surface_params:
        state[f"surface.{name}"] = value
    state["start_x"], state["start_y"] = float(scene.start[0]), float(scene.start[1])
    state["formula"] = scene.formula
    state["formula_text"] = scene.formula or sc.FORMULA_EXAMPLE
    state["formula_x_range"], state["formula_y_range"] = scene.x_range, scene.y_range
    state["formula_x_lo"], state["formula_x_hi"] = scene.x_range
    state["formula_y_lo"], state["formula_y_hi"] = scene.y_range
    state["formula_error"] = None
    for name in ("steps", "schedule", "decay_k", "step_factor", "step_every", "mu_ramp", "noise", "seed",
                 "average", "tol", "field") + (() if keep_display else DISPLAY_SETTINGS):
        state[name] = getattr(scene, name)
    first = state.get("next_run_id", 0)
    state["run_ids"] = list(range(first, first + len(scene.runs)))
    state["next_run_id"] = first + len(scene.runs)
    variants = styles.scene_variants(run.optimizer for run in scene.runs)
    for run_id, run, variant in zip(state["run_ids"], scene.runs, variants):
        state[f"run{run_id}.optimizer"] = run.optimizer
        state[f"run{run_id}.variant"] = variant
        for name, value in run.hyper:
            state[runs.run_key(run_id, run.optimizer, name)] = value


def run_looks() -> tuple:
    """Each run's colour and marker, in the order of the runs: fixed by its optimizer and its
    variant, so a run keeps its look when others come and go."""
    state = st.session_state
    return tuple(styles.run_style(state[f"run{run_id}.optimizer"], state.get(f"run{run_id}.variant", 0))
                 for run_id in state["run_ids"])


def scene_from_state() -> sc.Scene:
    """The scene the widgets describe.  It is read before the widgets are drawn (so the chart is sent
    first and the browser starts loading Plotly early); a widget not drawn yet has its default."""
    state = st.session_state
    surface_id = state["surface"]
    specs = () if surface_id == sc.FORMULA else surfaces.param_specs(surface_id)
    params = tuple((spec.name, float(state.get(f"surface.{spec.name}", spec.default))) for spec in specs)
    run_specs = []
    for run_id in state["run_ids"]:
        optimizer = state[f"run{run_id}.optimizer"]
        hyper = {spec.name: state.get(runs.run_key(run_id, optimizer, spec.name), spec.default)
                 for spec in optim_core.hyper_specs(optimizer)}
        run_specs.append(sc.RunSpec.of(optimizer, **hyper))
    return sc.Scene(
        surface=surface_id, surface_params=params, start=(float(state["start_x"]), float(state["start_y"])),
        steps=int(state["steps"]), runs=tuple(run_specs), schedule=state["schedule"], decay_k=float(state["decay_k"]),
        step_factor=float(state["step_factor"]), step_every=int(state["step_every"]), mu_ramp=int(state["mu_ramp"]),
        noise=float(state["noise"]), seed=int(state["seed"]), average=bool(state["average"]),
        tol=float(state["tol"]), field=bool(state["field"]), projector=bool(state["projector"]),
        lang=state["lang"], formula=state.get("formula", ""),
        x_range=state.get("formula_x_range", sc.FORMULA_RANGE), y_range=state.get("formula_y_range", sc.FORMULA_RANGE),
    )


def read_url() -> tuple:
    query = {key: st.query_params.get_all(key) for key in st.query_params.keys()}
    return sc.from_query(query)


def write_url(scene: sc.Scene) -> None:
    query = sc.to_query(scene)
    current = {key: st.query_params.get_all(key) for key in st.query_params.keys()}
    wanted = {key: value if isinstance(value, list) else [value] for key, value in query.items()}
    if current != wanted:
        st.query_params.from_dict(query)


# --- callbacks (they run before the script, so they may set widget state) ---------------------------


CUSTOM = "custom"


def preset_title(key: str, lang: str = "en") -> str:
    return i18n.t("your own scene" if key == CUSTOM else sc.PRESETS[key].title, lang)


def same_scene(one: sc.Scene, other: sc.Scene) -> bool:
    """Equal but for the display settings (the teacher's, not the scene's)."""
    neutral = {name: sc.Scene.__dataclass_fields__[name].default for name in DISPLAY_SETTINGS}
    return dataclasses.replace(one, **neutral) == dataclasses.replace(other, **neutral)


def on_preset() -> None:
    state = st.session_state
    if state["preset"] in sc.PRESETS:
        state["last_preset"] = state["preset"]
        load_scene(sc.PRESETS[state["preset"]].scene, keep_display=True)


def on_surface() -> None:
    state = st.session_state
    if state["surface"] == sc.FORMULA:
        if not state.get("formula"):
            state["formula_text"] = sc.FORMULA_EXAMPLE
        on_formula()
        return
    surface = surfaces.get(state["surface"])
    for spec in surfaces.param_specs(surface.id):
        state[f"surface.{spec.name}"] = spec.default
    state["start_x"], state["start_y"] = map(float, surface.default_start)


def on_formula() -> None:
    """Apply the typed formula and domain if the parser accepts them; otherwise keep the surface
    that was there and say what is wrong (the message names the offending part)."""
    state = st.session_state
    try:
        x_range = sc.check_range(state["formula_x_lo"], state["formula_x_hi"], "x range")
        y_range = sc.check_range(state["formula_y_lo"], state["formula_y_hi"], "y range")
        surface = surfaces.from_formula(state["formula_text"], x_range=x_range, y_range=y_range)
    except ValueError as error:
        state["formula_error"] = i18n.Message.of(error)  # shown in the page's language
        return
    state["formula_error"] = None
    state["formula"], state["formula_x_range"], state["formula_y_range"] = state["formula_text"], x_range, y_range
    state["start_x"], state["start_y"] = map(float, surface.default_start)


def on_optimizer(run_id: int) -> None:
    """A run that changes optimizer takes that optimizer's colour, in the first shade no other run of it uses."""
    state = st.session_state
    state[f"run{run_id}.variant"] = styles.first_free_variant(state[f"run{run_id}.optimizer"],
                                                              runs.taken_variants(run_id))


def _halved(lr: float) -> float:
    """Half the learning rate (double it at the bottom of the range): a new run must look different."""
    low = sc.LR_OPTIONS[0]
    return float(f"{lr / 2:.3g}") if lr / 2 >= low else float(f"{lr * 2:.3g}")


def on_add_run() -> None:
    """A new run: the last run's optimizer and settings at half its learning rate (said in its label),
    in that optimizer's next shade, opened."""
    state = st.session_state
    if len(state["run_ids"]) >= sc.MAX_RUNS:
        return
    if not state["run_ids"]:
        runs.add_run("adam", ())
        return
    last = state["run_ids"][-1]
    optimizer = state[f"run{last}.optimizer"]
    hyper = {spec.name: state.get(runs.run_key(last, optimizer, spec.name), spec.default)
             for spec in optim_core.hyper_specs(optimizer)}
    hyper["lr"] = _halved(hyper["lr"])
    runs.add_run(optimizer, hyper.items())


def on_remove_run(run_id: int) -> None:
    st.session_state["run_ids"] = [r for r in st.session_state["run_ids"] if r != run_id]


def on_reset_runs() -> None:
    """Back to the runs of the preset last chosen (the book's comparison if none was)."""
    preset = sc.PRESETS[st.session_state.get("last_preset", "book")]
    load_scene(sc.with_runs(scene_from_state(), preset.scene.runs), keep_display=True)


def on_chart_select() -> None:
    """A click on the invisible grid of markers (trace 0) moves the start point there."""
    event = st.session_state.get("paths_chart")
    points = (event or {}).get("selection", {}).get("points", [])
    for point in points:
        if point.get("curve_number") == 0:
            st.session_state["start_x"] = float(point["x"])
            st.session_state["start_y"] = float(point["y"])
            return


# --- widgets ----------------------------------------------------------------------------------------------


def _number_format(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str):
        return value
    return "0" if value == 0 else f"{value:.3g}"


def hyper_widget(run_id: int, optimizer: str, spec: optim_core.HyperSpec) -> None:
    key = runs.run_key(run_id, optimizer, spec.name)
    st.session_state.setdefault(key, spec.default)
    label = tr(HYPER_LABELS.get(spec.name, spec.name))
    if spec.choices and isinstance(spec.default, bool):
        st.toggle(label, key=key, help=tr(spec.help))
    elif spec.choices:  # option values stay as they are (they are the URL's); their labels are translated
        widgets.choice(st.selectbox, label, spec.choices, key=key, help=tr(spec.help), format_func=option_labels())
    else:
        options = sc.options_with(sc.SLIDER_OPTIONS[spec.name], st.session_state[key])
        st.select_slider(label, options=options, key=key, format_func=_number_format, help=tr(spec.help))


def surface_param_widget(spec) -> None:
    key = f"surface.{spec.name}"
    st.session_state.setdefault(key, spec.default)
    if spec.log:
        grid = np.unique(np.round(np.geomspace(spec.low, spec.high, 31), 2))
        options = sc.options_with(tuple(float(v) for v in grid), float(st.session_state[key]))
        st.select_slider(tr(spec.label), options=options, key=key, format_func=_number_format)
    else:
        st.slider(tr(spec.label), float(spec.low), float(spec.high), key=key, step=(spec.high - spec.low) / 100)


def surface_title(surface_id: str, lang: str = "en") -> str:
    if surface_id == sc.FORMULA:
        return i18n.t("✎ your own formula f(x, y)", lang)
    return i18n.surface_name(surface_id, surfaces.get(surface_id).title, lang)


def formula_controls() -> None:
    """The typed surface: f(x, y) and its domain, applied when the parser accepts them."""
    state = st.session_state
    apply = widgets.safe(on_formula)
    st.text_input("f(x, y) =", key="formula_text", on_change=apply, max_chars=500,
                  help=tr("Python syntax: + − * / ** and sin, cos, tan, exp, log, log10, sqrt, abs, tanh, sinh, cosh, "
                          "arctan; the names x, y, pi, e. Example: (1-x)**2 + 100*(y-x**2)**2"))
    left, right = st.columns(2)
    left.number_input(tr("x from"), key="formula_x_lo", on_change=apply, format="%.4g")
    right.number_input(tr("x to"), key="formula_x_hi", on_change=apply, format="%.4g")
    left.number_input(tr("y from"), key="formula_y_lo", on_change=apply, format="%.4g")
    right.number_input(tr("y to"), key="formula_y_hi", on_change=apply, format="%.4g")
    if state.get("formula_error"):
        st.error(widgets.literal(tr("{error}. The previous surface stays.", error=state["formula_error"])))


def sidebar(scene: sc.Scene) -> None:
    state = st.session_state
    with st.sidebar:
        st.selectbox(tr("Language"), sc.LANGUAGES, key="lang", format_func=i18n.LANGUAGE_NAMES.get)
        st.toggle(tr("Projector"), key="projector", help=tr("Larger type, thicker paths, fewer controls on screen."))
        widgets.choice(st.selectbox, tr("Preset"), (CUSTOM,) + tuple(sc.PRESETS), key="preset",
                       format_func=functools.partial(preset_title, lang=state["lang"]),
                       on_change=on_preset, help=tr("Load a well-known figure in one click."))
        if state["preset"] in sc.PRESETS:
            st.caption(tr(sc.PRESETS[state["preset"]].description))
        else:
            st.caption(tr("Your own scene: pick a preset to load a well-known one."))

        st.subheader(tr("Surface"))
        widgets.choice(st.selectbox, tr("Surface"), surfaces.names() + (sc.FORMULA,), key="surface",
                       on_change=on_surface, format_func=functools.partial(surface_title, lang=state["lang"]),
                       label_visibility="collapsed")
        if state["surface"] == sc.FORMULA:
            formula_controls()
        else:
            for spec in surfaces.param_specs(state["surface"]):
                surface_param_widget(spec)
        surface = scene.surface_object()
        (x_lo, x_hi), (y_lo, y_hi) = sc.start_bounds(surface)
        left, right = st.columns(2)
        left.number_input(tr("start x"), min_value=x_lo, max_value=x_hi, key="start_x", format="%.4g",
                          step=(x_hi - x_lo) / 200)
        right.number_input(tr("start y"), min_value=y_lo, max_value=y_hi, key="start_y", format="%.4g",
                           step=(y_hi - y_lo) / 200)
        st.caption(tr("…or click on the chart to start there."))
        st.number_input(tr("steps"), *sc.STEPS_RANGE, key="steps", step=10)

        st.subheader(tr("Runs"))
        lr_limit = analysis.hessian_info(surface, np.array([state["start_x"], state["start_y"]])).lr_max
        looks = run_looks()
        st.html(badge_css(state["run_ids"], looks))
        for position, (run_id, look) in enumerate(zip(state["run_ids"], looks)):
            run_controls(position, run_id, lr_limit, look)
        left, right = st.columns(2)
        left.button(tr("➕ Add run"), key="add_run", on_click=widgets.safe(on_add_run),
                    disabled=len(state["run_ids"]) >= sc.MAX_RUNS, use_container_width=True)
        right.button(tr("↺ Reset runs"), key="reset_runs", on_click=widgets.safe(on_reset_runs),
                     use_container_width=True,
                     help=tr("Back to the preset's runs (the book's comparison for your own scene)."))

        with st.expander(tr("More: learning rate over time, noise, display"), expanded=not state["projector"]):
            more_settings()


def more_settings() -> None:
    state = st.session_state
    st.markdown(tr("**Learning rate over time**"))
    widgets.choice(st.selectbox, tr("lr schedule (applies to every run)"), sc.SCHEDULES, key="schedule",
                   format_func=lambda schedule, label=option_labels(): label(SCHEDULE_LABELS[schedule]))
    if state["schedule"] == "step":
        left, right = st.columns(2)
        left.number_input(tr("multiply by"), 0.01, 1.0, key="step_factor", step=0.05)
        right.number_input(tr("every (steps)"), 1, 1000, key="step_every")
    elif state["schedule"] in ("exponential", "inverse_time"):
        st.number_input("k", 0.0, 10.0, key="decay_k", step=0.01, format="%.3g")
    st.number_input(tr("momentum ramp: μ from 0.5 to the run's μ over N steps (0: off)"), 0, 3000, key="mu_ramp",
                    step=10)
    st.markdown(tr("**Noise and display**"))
    left, right = st.columns(2)
    left.number_input(tr("gradient noise σ"), *sc.NOISE_RANGE, key="noise", step=0.05, format="%.3g")
    right.number_input(tr("seed"), *sc.SEED_RANGE, key="seed")
    st.select_slider(tr("tolerance for 'steps to reach'"), options=sc.TOL_OPTIONS, key="tol",
                     format_func=lambda v: f"{v:g}")
    st.toggle(tr("running (Polyak) average"), key="average")
    st.toggle(tr("gradient field (−∇f arrows)"), key="field")


def stability_cue(run_id: int, optimizer: str, lr_max: float) -> None:
    """Next to the lr slider: 2/λmax at the start, and a warning when this run's lr is past the
    limit of its rule on the local quadratic model (GD: 2/λmax; heavy ball: 2(1 + μ)/λmax)."""
    state = st.session_state
    lr = state[runs.run_key(run_id, optimizer, "lr")]
    limit, rule = lr_max, "2/λmax"
    if optimizer in ("momentum", "nesterov"):
        mu = state.get(runs.run_key(run_id, optimizer, "mu"), 0.9)
        limit, rule = lr_max * (1 + mu), "2(1+μ)/λmax"
    if optimizer in ("sgd", "momentum", "nesterov") and lr >= limit:
        st.caption(tr(":red[⚠ lr = {lr:.3g} ≥ {rule} = {limit:.3g} at the start: the steepest direction "
                      "oscillates with growing amplitude on the local quadratic model]", lr=lr, rule=rule, limit=limit))
    elif limit != lr_max:
        st.caption(tr("2/λmax at the start = {lr_max:.3g}; {rule} = {limit:.3g}", lr_max=lr_max, rule=rule,
                      limit=limit))
    else:
        st.caption(tr("2/λmax at the start = {lr_max:.3g}", lr_max=lr_max))


def run_controls(position: int, run_id: int, lr_limit, look: styles.RunStyle) -> None:
    """One run's panel; its label carries a badge drawn in exactly the run's colour (see ``badge_css``)."""
    state = st.session_state
    optimizer = state[f"run{run_id}.optimizer"]
    with st.container(key=f"run_panel_{run_id}"):
        # Open or closed as the user left it, through a change of optimizer (a new label, so a new
        # expander to Streamlit); a new run opens.
        expanded = state.setdefault(f"run{run_id}.expanded", not state["projector"] and position < 4)
        with st.expander(tr("Run {n}: {title}", n=position + 1, title=optim_core.RULES[optimizer].title),
                         expanded=expanded, key=f"run{run_id}.panel", on_change=remember_panel, args=(run_id,)):
            st.selectbox(tr("optimizer"), optim_core.names(), key=f"run{run_id}.optimizer",
                         format_func=lambda k: optim_core.RULES[k].title,
                         on_change=widgets.safe(on_optimizer), args=(run_id,))
            for spec in optim_core.hyper_specs(optimizer):
                hyper_widget(run_id, optimizer, spec)
                if spec.name == "lr" and lr_limit is not None:
                    stability_cue(run_id, optimizer, lr_limit)
            st.button(tr("Remove this run"), key=f"remove{run_id}", on_click=widgets.safe(on_remove_run),
                      args=(run_id,))


def remember_panel(run_id: int) -> None:
    st.session_state[f"run{run_id}.expanded"] = bool(st.session_state.get(f"run{run_id}.panel"))


def badge_css(run_ids, looks) -> str:
    """Each run panel's label starts with a bar in the run's own colour (a run's colour is an exact
    hex value; Streamlit's named Markdown colours only approximate it)."""
    rules = [f".st-key-run_panel_{run_id} summary::before {{ content: ''; display: inline-block; width: 1.6em; "
             f"height: 0.55em; margin-right: 0.5em; border-radius: 3px; background-color: {look.colour}; }}"
             for run_id, look in zip(run_ids, looks)]
    return "<style>" + " ".join(rules) + "</style>"


# --- the page ------------------------------------------------------------------------------------------------


SUMMARY_HEADERS = ("run", "status", "final f − f*", "steps to reach tol", "distance to minimum", "final point")


def summary_table(rows, looks, lang: str = "en") -> str:
    """The per-run summary as an HTML table (each row marked in its run's colour); it scrolls
    sideways on a narrow screen instead of losing columns."""
    head = "<tr><th></th>" + "".join(f"<th>{html.escape(i18n.t(h, lang))}</th>" for h in SUMMARY_HEADERS) + "</tr>"
    body = []
    for row, look in zip(rows, looks):
        status = html.escape(row.status_message.render(lang))
        if row.status == "diverged":
            status = f"<b style='color:#B00020'>⚠ {status}</b>"
        steps = i18n.t("not reached", lang) if row.steps_to_tol is None else str(row.steps_to_tol)
        distance = "—" if math.isnan(row.distance) else f"{row.distance:.3g}"
        body.append(f"<tr><td><span style='color:{look.colour};font-size:1.3em'>●</span></td>"
                    f"<td>{html.escape(row.label)}</td><td>{status}</td><td>{row.final_gap:.3g}</td>"
                    f"<td>{steps}</td><td>{distance}</td>"
                    f"<td>({row.final_xy[0]:.4g}, {row.final_xy[1]:.4g})</td></tr>")
    return (f"<div class='run-summary' style='overflow-x:auto;max-width:100%'>"
            f"<table style='width:100%;min-width:36rem'>{head}{''.join(body)}</table></div>")


def match_preset(scene: sc.Scene) -> str:
    """The preset the scene is (display settings aside), or CUSTOM once it differs from every one."""
    return next((key for key, preset in sc.PRESETS.items() if same_scene(scene, preset.scene)), CUSTOM)


def show_problems() -> None:
    """What a callback could not do, said once, in the page's language and never as a traceback."""
    error = st.session_state.pop("callback_error", None)
    if error is not None:
        st.error(widgets.literal(tr("That change could not be applied ({error}); the page kept your scene.",
                                    error=error)))


def main() -> None:
    state = st.session_state
    if "run_ids" not in state:
        scene, warnings = read_url()
        load_scene(scene)
        state["url_warnings"] = warnings  # i18n.Messages, shown in the page's language
    st.set_page_config(page_title=tr("Optimizer paths"))
    show_problems()
    try:
        scene = scene_from_state()
        looks = run_looks()
        view = build_view(scene, looks, viewport.is_narrow())
    except ValueError as error:  # every widget is range-checked; this is the last line of defence
        st.error(widgets.literal(tr("This setting cannot be run: {error}", error=i18n.Message.of(error))))
        sidebar(sc.DEFAULT_SCENE)
        return
    state["preset"] = match_preset(scene)
    write_url(scene)
    page(scene, view, looks)
    sidebar(scene)
    viewport.watch()


def page(scene: sc.Scene, view: dict, looks: tuple) -> None:
    state = st.session_state
    if scene.projector:
        st.markdown(PROJECTOR_CSS, unsafe_allow_html=True)

    surface = scene.surface_object()
    title, formula = st.columns([2, 3])
    title.markdown("### " + widgets.literal(i18n.surface_title(surface, scene.lang)))
    formula.latex(surface.latex)
    for warning in state.get("url_warnings", []):
        st.warning(widgets.literal(i18n.render(warning, scene.lang)), icon="⚠️")
    if state.get("url_warnings"):
        st.button(tr("Dismiss"), key="dismiss_warnings", on_click=lambda: state.update(url_warnings=[]))
    undefined_note(view)

    # Only the open tab runs (on_change="rerun" makes the tabs lazy): a sweep or a WebGL scene costs
    # nothing until it is looked at.
    labels = [tr(name) for name in VIEWS]
    keep_open_tab(labels)
    paths, explore, three_d, rules = st.tabs(labels, key="view", on_change="rerun")
    if paths.open:
        with paths:
            paths_tab(scene, view, looks)
    if explore.open:
        with explore:
            explore_tab.render(scene)
    if three_d.open:
        with three_d:
            st.plotly_chart(CheckedFigure(build_3d(scene, looks)), key="surface_3d", config={"displaylogo": False})
    if rules.open:
        with rules:
            rules_tab(scene)


def undefined_note(view: dict) -> None:
    share = view.get("undefined_share", 0.0)
    if share > 0.005:
        st.info(tr("f is not defined on about {share:.0%} of the domain (left blank in the chart); a run that "
                   "steps there stops and is reported as diverged.", share=share))


def keep_open_tab(labels: list) -> None:
    """After a language switch session_state["view"] holds the open tab's label in the other language:
    put the same tab's label in this one, so the tab stays open (set before st.tabs is drawn)."""
    state = st.session_state
    current = state.get("view")
    for view, label in zip(VIEWS, labels):
        if current != label and current in {i18n.t(view, lang) for lang in sc.LANGUAGES}:
            state["view"] = label


def paths_tab(scene: sc.Scene, view: dict, looks: tuple) -> None:
    if not scene.runs:
        st.info(tr("No runs: add one in the sidebar."))
    st.plotly_chart(CheckedFigure(view["figure"]), key="paths_chart", on_select=widgets.safe(on_chart_select),
                    selection_mode="points", config={"displaylogo": False, "scrollZoom": True})
    st.caption(tr("▶ Play animates every path from the start; drag the step slider to scrub. Click anywhere on the "
                  "surface to start there. Hover a moving marker for the curvature where it is."))
    st.markdown(summary_table(view["summary"], looks, scene.lang), unsafe_allow_html=True)
    st.caption(curvature_text(scene))
    export_buttons(scene, view, looks)


def export_buttons(scene: sc.Scene, view: dict, looks: tuple) -> None:
    """Downloads for slides and papers.  Each file is made when its button is clicked (a callable
    ``data``), so the GIF and the MP4 (a second or two each) cost nothing until asked for."""
    style = PROJECTOR_STYLE if scene.projector else SCREEN_STYLE
    picture = dict(line_width=style["line_width"] + 0.5, font_size=style["font_size"] + 4 if scene.projector else None,
                   palette=tuple(look.colour for look in looks) or fg.PALETTE,
                   symbols=tuple(look.symbol for look in looks) or fg.SYMBOLS)
    stem = f"optimizer-paths-{scene.surface}"
    title = i18n.surface_title(scene.surface_object(), scene.lang)

    def trajectories():
        return sc.simulate(scene)

    files = (
        ("Interactive HTML", "html", "text/html", lambda: export.standalone_html(view["figure"], title)),
        ("Animated GIF", "gif", "image/gif", lambda: export.gif_bytes(scene, trajectories(), **picture)),
        ("MP4 video", "mp4", "video/mp4", lambda: export.mp4_bytes(scene, trajectories(), **picture)),
        ("PNG image", "png", "image/png", lambda: export.png_bytes(scene, trajectories(), **picture)),
        ("CSV", "csv", "text/csv", lambda: export.trajectories_csv(scene, trajectories())),
        ("JSON", "json", "application/json", lambda: export.trajectories_json(scene, trajectories())),
    )
    st.markdown(f"**{tr('Export')}**")
    for column, (label, extension, mime, make) in zip(st.columns(len(files)), files):
        column.download_button(tr(label), data=make, file_name=f"{stem}.{extension}", mime=mime,
                               key=f"export_{extension}", on_click="ignore", use_container_width=True)
    st.caption(tr("HTML plays offline in any browser; GIF and MP4 are for slides; CSV is one table, a row per run and "
                  "step with each run's hyperparameters, that pandas or a spreadsheet opens as it is; JSON holds the "
                  "whole scene (surface, formula, start, schedule, noise, the page's link) with every path."))


def curvature_text(scene: sc.Scene) -> str:
    """The stability cue: the Hessian at the start, and the largest stable lr of the local quadratic."""
    info = analysis.hessian_info(scene.surface_object(), np.asarray(scene.start))
    eigen = ", ".join(f"{v:.4g}" for v in info.eigenvalues)
    if info.lr_max is None:
        limit = i18n.Message("no direction curves upward here, so no learning rate is stable on the local model")
    else:
        limit = i18n.Message("gradient descent on the local quadratic model is stable only for lr < 2/λmax = "
                             "{lr_max:.4g} (Momentum: lr < 2(1 + μ)/λmax)", lr_max=info.lr_max)
    return i18n.t("Curvature at the start: Hessian eigenvalues {eigen}, condition number κ = {kappa:.4g}; {limit}.",
                  scene.lang, eigen=eigen, kappa=info.condition, limit=limit)


def rules_tab(scene: sc.Scene) -> None:
    shown = set()
    for run in scene.runs:
        latex = equations.update_rule(run.optimizer, run.params)
        if (run.optimizer, latex) in shown:
            continue
        shown.add((run.optimizer, latex))
        st.markdown(tr("**{title}**: {intuition}", title=run.title,
                       intuition=equations.intuition(run.optimizer, scene.lang)))
        st.latex(latex)
        note = equations.convention(run.optimizer, run.params, scene.lang)
        if note:
            st.caption(note)


def run_page() -> None:
    """The page, with a last guard: whatever still goes wrong is said in a sentence in the page's
    language (the traceback goes to the server's log, never to the audience)."""
    try:
        main()
    except Exception:  # noqa: BLE001
        LOG.exception("the page failed")
        st.error(tr("Something went wrong while drawing the page. Your scene is kept: change a setting or reload "
                    "the page."))


run_page()
