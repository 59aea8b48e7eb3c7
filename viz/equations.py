"""The equations panel: each rule's update in LaTeX, in the convention the run uses, and one
sentence of intuition taken from the notes (shared/seeds), in English or Chinese (``i18n``)."""

from __future__ import annotations

from .i18n import t

_DENOMINATORS = {
    "outside": r"\sqrt{%s}+\epsilon",
    "inside": r"\sqrt{%s+\epsilon}",
}

INTUITION = {
    "sgd": "Steps straight down the gradient; on a long, narrow bowl the gradient does not point at the "
           "minimum, so the path zig-zags across the valley, as in the book's figure.",
    "momentum": "A ball rolling in the bowl: the velocity keeps what agrees from step to step (the long, gentle "
                "direction) and cancels what flips sign (the steep one); mu acts like friction.",
    "nesterov": "Momentum that looks ahead: the gradient is taken where the velocity is about to carry the "
                "point, so it brakes before overshooting.",
    "adagrad": "Each coordinate gets its own learning rate, divided by the root of all its squared gradients "
               "so far: steep directions are damped at once, but the rates only ever shrink, so it stalls.",
    "rmsprop": "AdaGrad with a memory that fades (decay_rate): the per-coordinate rate adapts without "
               "shrinking forever.",
    "adam": "Momentum on the gradient (m) plus RMSProp's per-coordinate scaling (v), with bias correction "
            "because m and v start at zero.",
    "newton": "Jumps to the minimum of the local quadratic model: one step on a quadratic bowl, but it heads "
              "for any stationary point, saddles included.",
    "adadelta": "RMSProp whose step size carries its own units: a running average of past steps replaces "
                "the learning rate.",
    "nadam": "Adam with a Nesterov-style look-ahead on the momentum term.",
    "amsgrad": "Adam that divides by the largest v seen so far, so a coordinate's step size never grows back.",
    "adamw": "Adam with weight decay applied to the parameters directly, decoupled from the gradient scaling.",
}


def intuition(optimizer: str, lang: str = "en") -> str:
    """The rule's sentence of intuition in ``lang``."""
    return t(INTUITION[optimizer], lang)


def update_rule(optimizer: str, hyper: dict) -> str:
    """The update, in LaTeX, as the run computes it (eps placement, bias correction, Nesterov form)."""
    placement = hyper.get("eps_placement", "outside")
    root = _DENOMINATORS.get(placement, _DENOMINATORS["outside"])
    if optimizer == "sgd":
        return r"x \leftarrow x - \eta\, g"
    if optimizer == "momentum":
        return r"v \leftarrow \mu v - \eta\, g \qquad x \leftarrow x + v"
    if optimizer == "nesterov":
        if hyper.get("form") == "reformulated":
            return (r"v_{\text{prev}} = v,\; v \leftarrow \mu v - \eta\, g(x) \qquad "
                    r"x \leftarrow x - \mu v_{\text{prev}} + (1+\mu)\, v")
        return r"v \leftarrow \mu v - \eta\, g(x + \mu v) \qquad x \leftarrow x + v"
    if optimizer == "adagrad":
        return r"h \leftarrow h + g \odot g \qquad x \leftarrow x - \frac{\eta\, g}{" + root % "h" + "}"
    if optimizer == "rmsprop":
        return (r"h \leftarrow \rho h + (1-\rho)\, g \odot g \qquad x \leftarrow x - \frac{\eta\, g}{"
                + root % "h" + r"} \quad (\rho = \text{decay\_rate})")
    moments = (r"m \leftarrow \beta_1 m + (1-\beta_1)\, g \qquad v \leftarrow \beta_2 v + (1-\beta_2)\, g\odot g"
               r"\qquad ")
    if optimizer == "adam":
        if not hyper.get("bias_correction", True):
            return moments + r"x \leftarrow x - \frac{\eta\, m}{" + root % "v" + "}"
        if placement == "book":
            return moments + (r"x \leftarrow x - \eta\,\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\,"
                              r"\frac{m}{\sqrt{v}+\epsilon}")
        return moments + (r"\hat m = \frac{m}{1-\beta_1^t},\; \hat v = \frac{v}{1-\beta_2^t} \qquad "
                          r"x \leftarrow x - \frac{\eta\, \hat m}{" + root % r"\hat v" + "}")
    if optimizer == "nadam":
        return moments + (r"\hat m = \frac{\beta_1 m}{1-\beta_1^{t+1}} + \frac{(1-\beta_1)\, g}{1-\beta_1^t} \qquad "
                          r"x \leftarrow x - \frac{\eta\, \hat m}{" + root % r"\hat v" + "}")
    if optimizer == "amsgrad":
        return moments + (r"v_{\max} \leftarrow \max(v_{\max}, v) \qquad x \leftarrow x - "
                          r"\frac{\eta\, \hat m}{" + root % r"\hat v_{\max}" + "}")
    if optimizer == "adamw":
        return moments + (r"x \leftarrow x - \eta\,\lambda\, x - \frac{\eta\, \hat m}{" + root % r"\hat v" + "}"
                          r"\quad (\lambda = \text{weight\_decay})")
    if optimizer == "newton":
        return r"x \leftarrow x - \eta\, H^{-1} g"
    if optimizer == "adadelta":
        return (r"s \leftarrow \rho s + (1-\rho) g\odot g \quad \Delta = -\frac{\sqrt{u+\epsilon}}{\sqrt{s+\epsilon}}\,g"
                r"\quad u \leftarrow \rho u + (1-\rho)\Delta\odot\Delta \quad x \leftarrow x + \eta\,\Delta")
    raise ValueError(f"no equation for optimizer {optimizer!r}")


def convention(optimizer: str, hyper: dict, lang: str = "en") -> str:
    """One line saying which of the sources' conventions this run uses, in ``lang``."""
    notes = []
    if "eps_placement" in hyper:
        notes.append({"outside": "eps outside the square root (the notes, PyTorch)",
                      "inside": "eps inside the square root (optax's eps_root)",
                      "book": "the book's Adam: eps added to the uncorrected √v"}[hyper["eps_placement"]])
    if optimizer == "adam" and hyper.get("eps_placement") != "book":
        notes.append("bias correction on" if hyper.get("bias_correction", True) else
                     "no bias correction (the notes' first form)")
    if optimizer == "nesterov":
        notes.append("look-ahead form (gradient at x + mu·v)" if hyper.get("form") == "lookahead" else
                     "the notes' reformulated form (PyTorch's); its x is the look-ahead point")
    if optimizer == "newton":
        notes.append("singular Hessian: pseudo-inverse, no step along zero curvature")
    return ("；" if lang == "zh" else "; ").join(t(note, lang) for note in notes)
