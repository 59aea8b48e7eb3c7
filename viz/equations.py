"""How a rule is shown: each rule's update in LaTeX, in the convention the run uses, one sentence of
intuition from the notes (shared/seeds) and the conventions chosen, and its hyperparameters' labels, all read
from the rule's definition (``optim_core.RULES``) and shown in English or Chinese (``i18n``)."""

from __future__ import annotations

import optim_core

from .i18n import t


def hyper_label(spec: optim_core.HyperSpec, lang: str = "en") -> str:
    """A hyperparameter's label from its HyperSpec, e.g. "learning rate η (log scale)", in ``lang``."""
    name = t(spec.label or spec.name, lang)
    return t("{param} (log scale)", lang, param=name) if spec.log else name


def intuition(optimizer: str, lang: str = "en") -> str:
    """The rule's sentence of intuition in ``lang``."""
    return t(optim_core.RULES[optimizer].intuition, lang)


def update_rule(optimizer: str, hyper: dict) -> str:
    """The update, in LaTeX, as the run computes it (eps placement, bias correction, Nesterov form)."""
    if optimizer not in optim_core.RULES:
        raise ValueError(f"no equation for optimizer {optimizer!r}")
    return optim_core.RULES[optimizer].latex(hyper)


def wrapped(latex: str, fits: int = 260, width: int = 150) -> str:
    """``latex`` as it is if its source is at most ``fits`` characters (Adam's fits the page's width),
    else broken into centred lines of about ``width`` characters at its ``\\qquad`` gaps (a quasi-Newton
    update with its line search does not fit one line)."""
    if len(latex) <= fits:
        return latex
    lines, current = [], ""
    for piece in (piece.strip() for piece in latex.split(r"\qquad")):
        if current and len(current) + len(piece) > width:
            lines.append(current)
            current = piece
        else:
            current = f"{current} \\qquad {piece}" if current else piece
    lines.append(current)
    return latex if len(lines) == 1 else r"\begin{gathered}" + r" \\ ".join(lines) + r"\end{gathered}"


def convention(optimizer: str, hyper: dict, lang: str = "en") -> str:
    """One line saying which of the sources' conventions this run uses, in ``lang``."""
    notes = optim_core.RULES[optimizer].conventions(hyper)
    return ("；" if lang == "zh" else "; ").join(t(note, lang) for note in notes)
