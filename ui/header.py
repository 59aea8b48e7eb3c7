"""Above the tabs: the surface's name and formula with Add run / Reset runs, what a shared link could not use,
what a callback could not do, and where f is undefined; the page's narrow margins, projector mode's larger type."""

from __future__ import annotations

import streamlit as st

from viz import i18n

from . import callbacks, run_rows, views, widgets
from .state import tr

# The chart is the stage: the page's margins are narrow and its top is close to the window's, so the runs'
# rows, the tabs and the chart fit on one screen (Streamlit's defaults leave 6rem above, 5rem aside).
PAGE_CSS = ("<style>[data-testid='stMainBlockContainer'] { padding: 40px 16px 64px 16px; max-width: none; } "
            "[data-testid='stHeader'] { background: transparent; } "
            # a formula wider than its column scrolls instead of hiding its end under the buttons
            ".st-key-page_formula .katex-display { overflow-x: auto; overflow-y: hidden; } "
            # Add run and Reset runs side by side in their narrow column (at 1400 px too)
            ".st-key-run_buttons button { padding-left: 0.5rem; padding-right: 0.6rem; }</style>")
# Projector mode: Streamlit sizes its text in rem, so a larger root font enlarges the whole page.  The
# wider sidebar only while it is open: collapsed, it must leave no strip behind.
PROJECTOR_CSS = ("<style>html { font-size: 20px; } "
                 "[data-testid='stSidebar'][data-collapsed='false'] { min-width: 22rem; } "
                 "[data-testid='stMainBlockContainer'] { padding-top: 62px; } "
                 "[data-testid='stMainBlockContainer'] [data-testid='stVerticalBlock'] { gap: 0.5rem; } "
                 "[data-testid='stMainBlockContainer'] h3 { padding: 0; } "
                 # Streamlit sets the tabs' and an expander's labels a size smaller than the text: 20 px here too
                 "[data-testid='stTab'] p, [data-testid='stExpander'] summary p { font-size: 1rem; }</style>")


def problems() -> None:
    """What a callback could not do, said once, in the page's language and never as a traceback."""
    error = st.session_state.pop("callback_error", None)
    if error is not None:
        st.error(widgets.literal(tr("That change could not be applied ({error}); the page kept your scene.",
                                    error=error)))


def sized(latex: str) -> str:
    """A long formula a size smaller, so Beale's three squares or the six-hump camel fit beside the title."""
    if len(latex) > 60:
        return r"\footnotesize " + latex
    if len(latex) > 45:
        return r"\small " + latex
    return latex


def render(view: views.PageView) -> None:
    state, scene = st.session_state, view.scene
    st.html(PAGE_CSS + (PROJECTOR_CSS if scene.projector else ""))
    title, formula, runs = st.columns([4, 7, 3], vertical_alignment="center")
    title.markdown("### " + widgets.literal(i18n.surface_title(view.surface, scene.lang)))
    with formula, st.container(key="page_formula"):
        st.latex(sized(view.surface.latex))
    with runs:
        run_rows.buttons()
    for warning in state.get("url_warnings", []):
        st.warning(widgets.literal(i18n.render(warning, scene.lang)), icon="⚠️")
    if state.get("url_warnings"):
        st.button(tr("Dismiss"), key="dismiss_warnings", on_click=callbacks.dismiss_url_warnings)
    if view.undefined_share > 0.005:
        st.info(tr("f is not defined on about {share:.0%} of the domain (left blank in the chart); a run that "
                   "steps there stops and is reported as diverged.", share=view.undefined_share))
