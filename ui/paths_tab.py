"""The "Paths" tab: the animated paths over the surface, the summary per run, the curvature at the
start and the exports.  It draws what ``ui.views.compute`` computed; nothing here runs a run again."""

from __future__ import annotations

import html
import math

import streamlit as st

from viz import export, figures, i18n

from . import stage, views
from .state import tr

SUMMARY_HEADERS = ("run", "status", "final f − f*", "steps to reach tol", "evaluations f / ∇f", "distance to minimum",
                   "final point")


def render(view: views.PageView) -> None:
    scene = view.scene
    if not scene.runs:
        st.info(tr("No runs: add one with “Add run” above the tabs."))
    stage.render(view.stage)
    st.caption(tr("▶ Play moves every run at the chosen speed and resumes where it stopped; Space, ← and → on the chart "
                  "play, pause and step. Hide the future to let the class guess first. Click anywhere on the surface "
                  "to start there; hover a marker for the curvature where it is."))
    export_buttons(view)  # above the table: the popover opens over it, with room below
    st.markdown(summary_table(view.summary, view.looks, scene.lang), unsafe_allow_html=True)
    st.caption(curvature_text(view.curvature, scene.lang))


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
                    f"<td>{steps}</td><td>{row.f_evals} / {row.grad_evals}</td><td>{distance}</td>"
                    f"<td>({row.final_xy[0]:.4g}, {row.final_xy[1]:.4g})</td></tr>")
    return (f"<div class='run-summary' style='overflow-x:auto;max-width:100%'>"
            f"<table style='width:100%;min-width:36rem'>{head}{''.join(body)}</table></div>")


def curvature_text(info, lang: str) -> str:
    """The stability cue: the Hessian at the start (``info``), and the largest stable lr of the local quadratic."""
    eigen = ", ".join(f"{v:.4g}" for v in info.eigenvalues)
    if info.lr_max is None:
        limit = i18n.Message("no direction curves upward here, so no learning rate is stable on the local model")
    else:
        limit = i18n.Message("gradient descent on the local quadratic model is stable only for lr < 2/λmax = "
                             "{lr_max:.4g} (Momentum: lr < 2(1 + μ)/λmax)", lr_max=info.lr_max)
    return i18n.t("Curvature at the start: Hessian eigenvalues {eigen}, condition number κ = {kappa:.4g}; {limit}.",
                  lang, eigen=eigen, kappa=info.condition, limit=limit)


def export_buttons(view: views.PageView) -> None:
    """Downloads for slides and papers, behind an Export button that draws them only while open.  Each file is
    made when its button is clicked (a callable ``data``), so the GIF and the MP4 (a second or two each) cost
    nothing until asked for; every file draws the paths the page shows (``view.trajectories``)."""
    state = st.session_state
    if not state.get("export_open") and "export_size" in state:  # kept while its box is closed (not drawn)
        state["export_size"] = state["export_size"]
    box = st.popover(tr("Export"), icon=":material/download:", key="export_open", on_change="rerun")
    if box.open:  # drawn only while open: eight elements fewer on every rerun (issue 14)
        with box:
            export_files(view)


def export_files(view: views.PageView) -> None:
    """The picture size, a download button per format and what each is for (inside the Export popover)."""
    scene, trajectories = view.scene, view.trajectories
    style = views.style(scene)
    playback = stage.settings()
    size = st.selectbox(tr("picture size (GIF, MP4, PNG)"), list(export.RESOLUTIONS), key="export_size",
                        help=tr("1920×1080 fills a slide; the GIF and the MP4 play at the stage's speed (the whole "
                                "run in 5 s unless you chose one), with its hide-the-future and arrow settings."))
    picture = dict(line_width=style["line_width"] + 0.5, font_size=style["font_size"] + 4 if scene.projector else None,
                   palette=tuple(look.colour for look in view.looks) or figures.PALETTE,
                   symbols=tuple(look.symbol for look in view.looks) or figures.SYMBOLS,
                   size=size, hide_future=playback["hide"], arrows=playback["arrows"])
    motion = dict(picture, steps_per_second=None if playback["speed"] == "auto" else float(playback["speed"]))
    stem = f"optimizer-paths-{scene.surface}"
    title = i18n.surface_title(view.surface, scene.lang)
    files = (
        ("Interactive HTML", "html", "text/html", lambda: export.standalone_html(view.figure, title)),
        ("Animated GIF", "gif", "image/gif", lambda: export.gif_bytes(scene, trajectories, **motion)),
        ("MP4 video", "mp4", "video/mp4", lambda: export.mp4_bytes(scene, trajectories, **motion)),
        ("PNG image", "png", "image/png", lambda: export.png_bytes(scene, trajectories, **picture)),
        ("CSV", "csv", "text/csv", lambda: export.trajectories_csv(scene, trajectories)),
        ("JSON", "json", "application/json", lambda: export.trajectories_json(scene, trajectories)),
    )
    for label, extension, mime, make in files:
        st.download_button(tr(label), data=make, file_name=f"{stem}.{extension}", mime=mime,
                           key=f"export_{extension}", on_click="ignore", use_container_width=True)
    st.caption(tr("HTML plays offline in any browser; GIF and MP4 are for slides; CSV is one table, a row per run and "
                  "step with each run's hyperparameters, that pandas or a spreadsheet opens as it is; JSON holds the "
                  "whole scene (surface, formula, start, schedule, noise, the page's link) with every path."))
