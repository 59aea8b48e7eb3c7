"""The page in English or Chinese: ``t(english, lang, **params)``, gettext-style.

The English text is the key and the template: ``t("diverged at step {k}", "zh", k=13)`` looks the
English up in ``ZH`` and formats what it finds ("在第 13 步发散"); in English, or for a text the
table does not have, the English itself is formatted.  Every text goes through ``str.format``, so
a literal brace is written twice (``"%{{x:.3g}}"`` for Plotly's hover templates).

Texts made before the page's language is known (the URL reader's warnings, errors raised deep
down) are ``Message``s: a ``str`` holding the English, which also remembers its template and
parameters so the page can ``render`` it in its own language.  A parameter that is itself a
Message is rendered in the same language; an error with a ``zh`` attribute (``FormulaError``)
shows that in Chinese.

Algorithm names (SGD, Momentum, Adam, …), parameter names (lr, mu, beta1, …), run labels
("Adam lr=0.3"), numbers and formulas stay as they are in both languages.

No Streamlit here, and no state: the table is a constant.
"""

from __future__ import annotations

import re
import string
from types import MappingProxyType

LANGUAGE_NAMES = MappingProxyType({"en": "English", "zh": "中文"})  # each language in its own words

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def has_chinese(text: str) -> bool:
    return bool(_CJK.search(str(text)))


def t(text: str, lang: str, /, **params) -> str:
    """``text`` in ``lang`` ("en" | "zh"), formatted with ``params`` (Messages and errors among
    them are rendered in ``lang`` too)."""
    template = ZH.get(text, text) if lang == "zh" else text
    return template.format(**{name: render(value, lang) for name, value in params.items()})


def render(value, lang: str):
    """A Message or an error in ``lang``; any other value as it is (numbers keep their format specs)."""
    if isinstance(value, Message):
        return value.render(lang)
    if isinstance(value, BaseException):
        message = getattr(value, "message", None)
        if isinstance(message, Message):
            return message.render(lang)
        zh = getattr(value, "zh", None)
        return zh if lang == "zh" and isinstance(zh, str) else str(value)
    return value


class Message(str):
    """Text to be shown later in the page's language: the English string, plus its template and
    parameters.  ``Message.of(error)`` keeps an error's message (and its Chinese, if it has one)."""

    zh = None  # a Chinese text given as it is (from an error's ``zh``), instead of the table's

    def __new__(cls, template: str, /, **params):
        self = super().__new__(cls, t(template, "en", **params))
        self.template, self.params = template, params
        return self

    def __getnewargs_ex__(self):
        return (self.template,), self.params

    def render(self, lang: str) -> str:
        if lang == "zh" and self.zh is not None:
            return self.zh
        return t(self.template, lang, **self.params)

    @classmethod
    def of(cls, error: BaseException) -> "Message":
        """An error's message: its Message if it carries one, else its text (and ``error.zh`` in Chinese)."""
        message = getattr(error, "message", None)
        if isinstance(message, Message):
            return message
        text = cls("{text}", text=str(error))
        zh = getattr(error, "zh", None)
        if isinstance(zh, str):
            text.zh = zh
        return text


class TranslatedError(ValueError):
    """A ValueError whose text is a Message: ``str(error)`` is the English, ``error.message`` renders."""

    def __init__(self, message: Message):
        super().__init__(str(message))
        self.message = message

    def __reduce__(self):
        return TranslatedError, (self.message,)


def translator(lang: str):
    """``text -> t(text, lang)`` with the language fixed now: a widget's format_func (Streamlit may call it
    outside the script run that made the widget)."""
    return lambda text: t(text, lang)


def placeholders(template: str) -> set:
    """The named fields of a template with their format specs: {("k", ""), ("value", ".3g")}."""
    return {(name, spec) for _, name, spec, _ in string.Formatter().parse(template) if name is not None}


def around(template: str, lang: str) -> tuple:
    """The text before and after the one placeholder of ``template`` in ``lang``: ("step ", "") for
    "step {k}", for a widget that writes the value itself (a Plotly slider's prefix and suffix)."""
    parts = list(string.Formatter().parse(ZH.get(template, template) if lang == "zh" else template))
    before = parts[0][0]
    after = "".join(literal for literal, *_ in parts[1:])
    return before, after


def separator(lang: str) -> str:
    """Between the items of a list in running text."""
    return "，" if lang == "zh" else ", "


# --- surfaces -------------------------------------------------------------------------------------

SURFACE_NAMES_ZH = MappingProxyType({
    "bowl": "拉长的碗",
    "ill_conditioned": "病态二次函数",
    "saddle": "鞍点",
    "monkey_saddle": "猴鞍面",
    "rosenbrock": "Rosenbrock 函数",
    "beale": "Beale 函数",
    "himmelblau": "Himmelblau 函数",
    "rastrigin": "Rastrigin 函数",
    "six_hump_camel": "六峰驼背函数",
    "two_wells": "双势阱（局部与全局极小值）",
})
_PARAMETRISED = ("ill_conditioned", "rosenbrock")  # their English titles end in their parameters: " (κ = 10, 0°)"


def surface_title(surface, lang: str) -> str:
    """The surface's title in ``lang``; a typed formula's title is the formula itself."""
    if lang != "zh" or surface.id not in SURFACE_NAMES_ZH:
        return surface.title
    name = SURFACE_NAMES_ZH[surface.id]
    if surface.id in _PARAMETRISED and " (" in surface.title:
        name += surface.title[surface.title.index(" ("):]
    return name


def surface_name(surface_id: str, english_title: str, lang: str) -> str:
    """The short name of a surface for the surface menu (no parameters)."""
    if lang == "zh" and surface_id in SURFACE_NAMES_ZH:
        return SURFACE_NAMES_ZH[surface_id]
    return english_title.split(" (")[0]


# --- the table --------------------------------------------------------------------------------------

ZH = MappingProxyType({
    # --- the page and the sidebar (app.py) ---
    "Optimizer paths": "优化器的路径",
    "Language": "语言",
    "Projector": "投影",
    "Larger type, thicker paths, fewer controls on screen.": "更大的字、更粗的路径、屏幕上更少的控件。",
    "Preset": "预设",
    "Load a well-known figure in one click.": "一键载入一张经典的图。",
    "your own scene": "自定义场景",
    "Surface": "曲面",
    "✎ your own formula f(x, y)": "✎ 自己输入公式 f(x, y)",
    "Python syntax: + − * / ** and sin, cos, tan, exp, log, log10, sqrt, abs, tanh, sinh, cosh, arctan; the names "
    "x, y, pi, e. Example: (1-x)**2 + 100*(y-x**2)**2":
        "Python 语法：+ − * / ** 以及 sin、cos、tan、exp、log、log10、sqrt、abs、tanh、sinh、cosh、arctan；"
        "可用的名称有 x、y、pi、e。例如：(1-x)**2 + 100*(y-x**2)**2",
    "x from": "x 下限",
    "x to": "x 上限",
    "y from": "y 下限",
    "y to": "y 上限",
    "x range": "x 范围",
    "y range": "y 范围",
    "{error}. The previous surface stays.": "{error}。仍保留之前的曲面。",
    "start x": "起点 x",
    "start y": "起点 y",
    "…or click on the chart to start there.": "……或在图上点击，从那里出发。",
    "steps": "步数",
    "Add run": "添加运行",
    "Reset runs": "重置运行",
    "Back to the preset's runs (the book's comparison for your own scene).":
        "恢复预设中的运行（自定义场景则恢复书中的对比）。",
    "More: learning rate over time, noise, display": "更多：学习率随时间的变化、噪声、显示",
    "**Learning rate over time**": "**学习率随时间的变化（学习率退火）**",
    "lr schedule (applies to every run)": "学习率衰减方式（作用于每个运行）",
    "constant": "恒定",
    "step decay": "随步数衰减",
    "exponential  η₀·e^(−kt)": "指数衰减  η₀·e^(−kt)",
    "1/t  η₀/(1 + kt)": "1/t 衰减  η₀/(1 + kt)",
    "multiply by": "乘以",
    "every (steps)": "每隔（步）",
    "momentum ramp: μ from 0.5 to the run's μ over N steps (0: off)":
        "动量递增：μ 在 N 步内从 0.5 增加到该运行的 μ（0：关闭）",
    "**Noise and display**": "**噪声与显示**",
    "gradient noise σ": "梯度噪声 σ",
    "seed": "随机种子",
    "tolerance for 'steps to reach'": "“达到所需步数”的容差",
    "running (Polyak) average": "参数的运行平均（Polyak 平均）",
    "gradient field (−∇f arrows)": "梯度场（−∇f 箭头）",
    "Run {n}: {title}": "运行 {n}：{title}",
    "optimizer": "优化器",
    "Remove this run": "删除此运行",
    "More settings of this run": "此运行的更多设置",
    # hyperparameters: their labels and help texts (optim_core.rules)
    "line search": "线搜索",
    "how the step length along the direction is chosen": "沿搜索方向的步长如何选取",
    "none": "不搜索",
    "armijo": "Armijo 回溯",
    "wolfe": "强 Wolfe 条件",
    "sufficient decrease c₁": "充分下降参数 c₁",
    "Armijo: f must drop by at least c₁·α·|slope|": "Armijo 条件：f 至少要下降 c₁·α·|斜率|",
    "curvature c₂": "曲率参数 c₂",
    "strong Wolfe: the slope must shrink to c₂·|slope at 0|": "强 Wolfe 条件：斜率的绝对值要缩小到 c₂·|起点处的斜率|",
    "backtracking factor ρ": "回溯因子 ρ",
    "Armijo: each trial step is ρ times the last": "Armijo 回溯：每次试探的步长是上一次的 ρ 倍",
    "learning rate η (first trial step α₀)": "学习率 η（第一次试探的步长 α₀）",
    "the line search's first trial step; the step length itself without a search":
        "线搜索第一次试探的步长；不做线搜索时就是步长本身",
    "memory m": "记忆长度 m",
    "how many of the latest (s, y) pairs shape the curvature": "用最近多少对 (s, y) 来估计曲率",
    "Armijo backtracking from α₀ = η: α ← ρα until sufficient decrease, at most 30 trials; none found: no step":
        "从 α₀ = η 开始的 Armijo 回溯：α ← ρα，直到满足充分下降条件，最多试 30 次；找不到就不走这一步",
    "strong Wolfe line search from α₀ = η (Nocedal & Wright Alg. 3.5–3.6, scipy's interpolation), at most 30 "
    "trials; failing that, the lowest trial with sufficient decrease, else no step":
        "从 α₀ = η 开始的强 Wolfe 线搜索（Nocedal & Wright 算法 3.5–3.6，插值同 scipy），最多试 30 次；"
        "失败时取满足充分下降条件、函数值最低的那次试探，没有就不走这一步",
    "not a descent direction (slope ≥ 0): no step": "不是下降方向（斜率 ≥ 0）时不走这一步",
    "H₀ = I for the first step, scaled to (yᵀs / yᵀy)·I just before the first update (Nocedal & Wright eq. 6.20)":
        "第一步用 H₀ = I，在第一次更新 H 之前把它缩放为 (yᵀs / yᵀy)·I（Nocedal & Wright 式 6.20）",
    "update skipped (and marked) where yᵀs ≤ ε‖s‖‖y‖: no positive curvature":
        "yᵀs ≤ ε‖s‖‖y‖（没有正曲率）时跳过这次更新，并记录下来",
    "H₀ᵏ = γₖI with γₖ = sᵀy / yᵀy of the newest pair (Nocedal & Wright eq. 7.20); I before the first pair":
        "H₀ᵏ = γₖI，γₖ = sᵀy / yᵀy 取自最新的一对（Nocedal & Wright 式 7.20）；还没有任何一对时用 I",
    "the newest m pairs (m rounded down, at most 20); a pair with yᵀs ≤ ε‖s‖‖y‖ is not stored":
        "只用最新的 m 对（m 向下取整，最多 20）；yᵀs ≤ ε‖s‖‖y‖ 的一对不保存",
    "Newton without the Hessian: it builds the curvature from how the gradient changes from step to step, so "
    "its steps learn the shape of the valley.":
        "不用 Hessian 的牛顿法：它从梯度在一步步之间的变化里构造出曲率，所以它的步子会逐渐学会山谷的形状。",
    "BFGS that keeps only the last m steps and gradient changes instead of a whole matrix; it works very well "
    "in full-batch, deterministic mode, as on these surfaces.":
        "只保存最近 m 步的位移和梯度变化、而不保存整个矩阵的 BFGS；在全批量、确定性的情形下（就像这些曲面上）效果很好。",
    "momentum μ": "动量 μ",
    "decay rate ρ": "衰减率 ρ",
    "weight decay λ": "权值衰减 λ",
    "bias correction": "偏置校正",
    "ε placement": "ε 的位置",
    "Nesterov form": "Nesterov 的形式",
    "learning rate": "学习率",
    "momentum (friction) coefficient": "动量（摩擦）系数",
    "first-moment decay": "一阶矩的衰减率",
    "second-moment decay": "二阶矩的衰减率",
    "cache decay rate": "cache 的衰减率",
    "√s + eps (outside) or √(s + eps) (inside)": "√s + eps（根号外）或 √(s + eps)（根号内）",
    "numerical stabiliser": "数值稳定项（防止除以 0）",
    "where the gradient is taken": "在哪里计算梯度",
    "divide m, v by (1 − βᵗ)": "把 m、v 除以 (1 − βᵗ)",
    "decay rate": "衰减率",
    "decoupled decay": "解耦的权值衰减",
    "outside": "根号外",
    "inside": "根号内",
    "book": "书中的形式",
    "lookahead": "前瞻形式",
    "reformulated": "变换后的形式",
    # surface parameters (surfaces' ParamSpec labels)
    "condition number κ": "条件数 κ",
    "valley angle (degrees)": "山谷的角度（度）",
    "a (minimum at (a, a²))": "a（极小值在 (a, a²)）",
    "b (valley steepness)": "b（山谷的陡峭程度）",
    # stability cues
    "none: a fixed step lr": "无：固定步长 lr",
    "Armijo backtracking": "Armijo 回溯",
    "strong Wolfe": "强 Wolfe 条件",
    "keep my learning rates": "保留我的学习率",
    "Off: a new surface gives each run a learning rate worth seeing there.": "关闭时：换一个曲面，每个运行都会得到一个在该曲面上值得一看的学习率。",
    "Learning rates suited to this surface: {changes}.": "已按这个曲面调整学习率：{changes}。",
    "stable": "最大稳定",
    "edge": "稳定边缘",
    "largest stable: lr = {lr:.3g}, the largest slider value below {rule}":
        "最大稳定值：lr = {lr:.3g}，滑块上小于 {rule} 的最大值",
    "edge of stability: lr = {lr:.3g} = {rule}, where the steepest direction neither grows nor shrinks":
        "稳定边缘：lr = {lr:.3g} = {rule}，最陡方向上的振荡既不增长也不衰减",
    "⚠ lr = {lr:.3g} > {rule} = {limit:.3g} at the start: the steepest direction oscillates with growing "
    "amplitude on the local quadratic model":
        "⚠ 起点处 lr = {lr:.3g} > {rule} = {limit:.3g}：在局部二次模型上，最陡的方向会以越来越大的幅度振荡",
    "2/λmax at the start = {lr_max:.3g}; {rule} = {limit:.3g}": "起点处 2/λmax = {lr_max:.3g}；{rule} = {limit:.3g}",
    "2/λmax at the start = {lr_max:.3g}": "起点处 2/λmax = {lr_max:.3g}",
    "Curvature at the start: Hessian eigenvalues {eigen}, condition number κ = {kappa:.4g}; {limit}.":
        "起点处的曲率：Hessian 矩阵的特征值为 {eigen}，条件数 κ = {kappa:.4g}；{limit}。",
    "no direction curves upward here, so no learning rate is stable on the local model":
        "这里没有向上弯曲的方向，所以在局部模型上没有稳定的学习率",
    "gradient descent on the local quadratic model is stable only for lr < 2/λmax = {lr_max:.4g} "
    "(Momentum: lr < 2(1 + μ)/λmax)":
        "在局部二次模型上，梯度下降只在 lr < 2/λmax = {lr_max:.4g} 时稳定（Momentum：lr < 2(1 + μ)/λmax）",
    # the page
    "This setting cannot be run: {error}": "这个设置无法运行：{error}",
    "Dismiss": "关闭",
    "Paths": "路径",
    "Explore": "探索",
    "3-D surface": "三维曲面",
    "Update rules": "更新规则",
    "No runs: add one with “Add run” above the tabs.": "没有运行：请用选项卡上方的“添加运行”添加一个。",
    "**{title}**: {intuition}": "**{title}**：{intuition}",
    # the summary table
    "evaluations f / ∇f": "求值次数 f / ∇f",
    "run": "运行",
    "status": "状态",
    "final f − f*": "最终的 f − f*",
    "steps to reach tol": "达到容差所需步数",
    "distance to minimum": "到极小值的距离",
    "final point": "终点",
    "not reached": "未达到",
    "ran all {n} steps": "跑完了全部 {n} 步",
    "converged at step {k} (‖∇f‖ ≤ 1e-8)": "在第 {k} 步收敛（‖∇f‖ ≤ 1e-8）",
    "diverged at step {k}": "在第 {k} 步发散",
    # presets (page_model/presets.py)
    # the cyclic lr schedules and the warm-up (ui/sidebar.py)
    "cosine annealing": "余弦退火",
    "warm restarts (SGDR)": "热重启（SGDR）",
    "cyclic (triangular)": "循环（三角形）",
    "one-cycle": "单周期（one-cycle）",
    "cosine": "余弦",
    "linear": "线性",
    "cycles": "周期数",
    "How many cycles fit in the run's steps (after the warm-up): the period follows the steps.":
        "在运行的步数（预热之后）中放入多少个周期：周期长度随步数而定。",
    "T_mult": "周期倍数 T_mult",
    "Each cycle is T_mult times as long as the one before.": "每个周期的长度是前一个的 T_mult 倍。",
    "lowest lr (× the run's lr)": "最低学习率（× 该运行的 lr）",
    "rising part (pct_start)": "上升阶段占比（pct_start）",
    "annealing": "退火方式",
    "div_factor": "初始除数 div_factor",
    "final_div_factor": "最终除数 final_div_factor",
    "It starts at lr/div_factor.": "从 lr/div_factor 开始。",
    "It ends at lr/(div_factor·final_div_factor).": "以 lr/(div_factor·final_div_factor) 结束。",
    "linear warm-up: lr from 0 over the first W steps (0: off)": "线性预热：前 W 步内学习率从 0 线性增加（0：关闭）",
    "T = {length} steps: the whole run after the warm-up.": "T = {length} 步：预热之后的整个运行。",
    "{length} steps: up for the first {pct:.0%}, then down.": "{length} 步：前 {pct:.0%} 上升，然后下降。",
    "T₀ = {period} steps.": "T₀ = {period} 步。",
    "Step size {period}: up in {period} steps, down in {period}.":
        "步长 {period}：用 {period} 步上升，再用 {period} 步下降。",
    "Cycles end after steps {ends}.": "周期结束于第 {ends} 步之后。",
    "The book's comparison (ch. 6)": "书中的对比（第 6 章）",
    "f = x²/20 + y² from (−7, 2), 30 steps: SGD zig-zags, Momentum rolls like a ball, AdaGrad damps the steep "
    "direction, Adam combines both.":
        "f = x²/20 + y²，从 (−7, 2) 出发，30 步：SGD 呈“之”字形移动，Momentum 像小球在碗中滚动，"
        "AdaGrad 减弱陡峭方向的更新，Adam 融合了两者。",
    "A saddle point": "鞍点",
    "f = x² − y², starting just off the ridge: SGD lingers near the saddle, Momentum and Adam escape, Newton jumps "
    "onto the saddle.":
        "f = x² − y²，从紧挨着山脊的地方出发：SGD 在鞍点附近徘徊，Momentum 和 Adam 逃离鞍点，Newton 一步跳到鞍点上。",
    "The Rosenbrock valley": "Rosenbrock 山谷",
    "A curved, flat-bottomed valley: SGD crawls, Momentum and Nesterov follow the valley, Newton needs a handful of "
    "steps.":
        "一条弯曲、谷底平坦的山谷：SGD 缓慢爬行，Momentum 和 Nesterov 沿着山谷前进，Newton 只需几步。",
    "Beale's function, the classic set": "Beale 函数，经典的一组",
    "The optimizers of the well-known animations on Beale's function, from (1, 1.5).":
        "那些著名动画里的优化器，在 Beale 函数上从 (1, 1.5) 出发。",
    "Ill-conditioned bowl, κ = 100": "病态的碗，κ = 100",
    "A rotated quadratic with condition number 100: SGD at lr just under 2/λmax zig-zags, Momentum at its "
    "theoretical optimum (lr*, mu*) converges fast, Adam rotates badly.":
        "一个旋转过的二次函数，条件数为 100：学习率略低于 2/λmax 的 SGD 呈“之”字形移动，"
        "取理论最优 (lr*, mu*) 的 Momentum 收敛很快，Adam 受旋转的影响很大。",
    # the equations panel (viz/equations.py)
    "Steps straight down the gradient; on a long, narrow bowl the gradient does not point at the minimum, so the "
    "path zig-zags across the valley, as in the book's figure.":
        "沿着负梯度方向直接走一步；在细长的碗里，梯度的方向并没有指向最小值的方向，"
        "所以路径在山谷两侧来回，呈“之”字形移动，和书中的图一样。",
    "A ball rolling in the bowl: the velocity keeps what agrees from step to step (the long, gentle direction) and "
    "cancels what flips sign (the steep one); mu acts like friction.":
        "Momentum（动量法）像小球在碗中滚动：速度保留每一步方向一致的部分（平缓的长方向），"
        "抵消正负交替的部分（陡峭的方向）；mu 的作用像摩擦系数。",
    "Momentum that looks ahead: the gradient is taken where the velocity is about to carry the point, so it brakes "
    "before overshooting.":
        "向前看的动量法：在速度即将把点带到的位置（x + mu·v）计算梯度，所以在越过最优点之前就会减速。",
    "Each coordinate gets its own learning rate, divided by the root of all its squared gradients so far: steep "
    "directions are damped at once, but the rates only ever shrink, so it stalls.":
        "每个坐标有自己的学习率，除以到目前为止所有梯度平方和的平方根：陡峭的方向立刻被减弱，"
        "但学习率只会越来越小，所以更新最后会停下来。",
    "AdaGrad with a memory that fades (decay_rate): the per-coordinate rate adapts without shrinking forever.":
        "带有逐渐遗忘的记忆（decay_rate）的 AdaGrad：逐坐标的学习率会自适应调整，但不会单调地变小。",
    "Momentum on the gradient (m) plus RMSProp's per-coordinate scaling (v), with bias correction because m and v "
    "start at zero.":
        "梯度上的动量（m）加上 RMSProp 的逐坐标缩放（v），因为 m 和 v 从 0 开始，所以要做偏置校正。",
    "Jumps to the minimum of the local quadratic model: one step on a quadratic bowl, but it heads for any "
    "stationary point, saddles included.":
        "直接跳到局部二次模型的极小值：在二次的碗上一步到位，但它会奔向任何驻点，包括鞍点。",
    "RMSProp whose step size carries its own units: a running average of past steps replaces the learning rate.":
        "步长自带单位的 RMSProp：用过去各步的滑动平均代替学习率。",
    "Adam with a Nesterov-style look-ahead on the momentum term.": "在动量项上做 Nesterov 式前瞻的 Adam。",
    "Adam that divides by the largest v seen so far, so a coordinate's step size never grows back.":
        "除以到目前为止最大的 v 的 Adam，所以每个坐标的步长不会再变大。",
    "Adam with weight decay applied to the parameters directly, decoupled from the gradient scaling.":
        "把权值衰减直接作用在参数上的 Adam，与梯度的缩放解耦。",
    "eps outside the square root (the notes, PyTorch)": "eps 在平方根外（笔记、PyTorch 的写法）",
    "eps inside the square root (optax's eps_root)": "eps 在平方根内（optax 的 eps_root）",
    "the book's Adam: eps added to the uncorrected √v": "书中的 Adam：eps 加在未校正的 √v 上",
    "bias correction on": "有偏置校正",
    "no bias correction (the notes' first form)": "没有偏置校正（笔记中的第一种形式）",
    "look-ahead form (gradient at x + mu·v)": "前瞻形式（在 x + mu·v 处计算梯度）",
    "the notes' reformulated form (PyTorch's); its x is the look-ahead point":
        "笔记中变换后的形式（PyTorch 的写法）；其中的 x 是前瞻点",
    "singular Hessian: pseudo-inverse, no step along zero curvature":
        "Hessian 矩阵奇异时用伪逆，沿曲率为零的方向不走",
    # the URL's warnings (page_model/url.py)
    "URL value {key}={shown} is not one of {valid}; ignored.": "URL 中的 {key}={shown} 不是 {valid} 之一；已忽略。",
    "URL value {key}={shown} is not valid ({valid}); {outcome}.": "URL 中的 {key}={shown} 无效（{valid}）；{outcome}。",
    "{where}: {key}={shown} is not valid ({valid}); {outcome}.": "{where}：{key}={shown} 无效（{valid}）；{outcome}。",
    "using {default}": "改用 {default}",
    "ignored": "已忽略",
    "URL key {key} is not one of Explore's settings ({names}, ex.sweep.<name>.lo/hi, ex.search.<name>.lo/hi); ignored.":
        "URL 中的键 {key} 不是“探索”的设置（{names}、ex.sweep.<name>.lo/hi、ex.search.<name>.lo/hi）；已忽略。",
    "two numbers low,high from {low:g} to {high:g} in steps of 0.5, low below high":
        "两个数 low,high，取值 {low:g} 到 {high:g}，步长 0.5，且 low 小于 high",
    "run left out": "略去这个运行",
    "run {n}": "运行 {n}",
    "run {n} ({optimizer})": "运行 {n}（{optimizer}）",
    "a whole number from {low:g} to {high:g}": "应为 {low:g} 到 {high:g} 之间的整数",
    "a number from {low:g} to {high:g}": "应为 {low:g} 到 {high:g} 之间的数",
    "one of {choices}": "应为以下之一：{choices}",
    "0 or 1": "应为 0 或 1",
    "an optimizer: {names}": "应为一个优化器：{names}",
    "see the slider's range": "见滑块的范围",
    "low,high with low < high, both within ±{limit:g}": "应为 下限,上限，下限 < 上限，且都在 ±{limit:g} 以内",
    "x,y with x in [{x_lo:g}, {x_hi:g}] and y in [{y_lo:g}, {y_hi:g}]":
        "应为 x,y，其中 x 在 [{x_lo:g}, {x_hi:g}] 内，y 在 [{y_lo:g}, {y_hi:g}] 内",
    "URL value {key}: {name} is not a hyperparameter of {optimizer} ({names}); ignored.":
        "URL 中的 {key}：{name} 不是 {optimizer} 的超参数（{names}）；已忽略。",
    "URL value formula={shown} cannot be used ({error}); using the default surface.":
        "URL 中的公式 formula={shown} 无法使用（{error}）；改用默认曲面。",
    "URL value {key} is not a parameter of {surface}; ignored.": "URL 中的 {key} 不是 {surface} 的参数；已忽略。",
    "URL has {count} runs; the page shows at most {max_runs}.": "URL 中有 {count} 个运行；页面最多显示 {max_runs} 个。",
    "{name} = ({low:g}, {high:g}) is not valid: give low < high, both within ±{limit:g}":
        "{name} = ({low:g}, {high:g}) 无效：下限必须小于上限，且都在 ±{limit:g} 以内",
    # the main figure (viz/figures.py)
    "{label} · line-search trials": "{label} · 线搜索的试探点",
    "{label}: a line-search trial x + αp the search rejected": "{label}：被线搜索拒绝的试探点 x + αp",
    "curvature believed (H)": "认为的曲率 (H)",
    "{label}: the ellipse of its inverse-Hessian approximation H<sub>k</sub>,<br>the quadratic model it believes in "
    "(shape only)": "{label}：其逆 Hessian 近似 H<sub>k</sub> 的椭圆，<br>即它所相信的二次模型（只看形状）",
    "true curvature (∇²f⁻¹)": "真实曲率 (∇²f⁻¹)",
    "the ellipse of the true inverse Hessian ∇²f(x)<sup>−1</sup> (shape only;<br>not drawn where ∇²f is not "
    "positive definite)": "真实逆 Hessian ∇²f(x)<sup>−1</sup> 的椭圆（只看形状；<br>∇²f 非正定处不画）",
    "snapshot after step %{{customdata}}": "第 %{{customdata}} 步之后的快照",
    "{label} · snapshots": "{label} · 快照",
    "{label} · snapshot ensemble": "{label} · 快照集成",
    "average of {n} snapshots": "{n} 个快照的平均",
    "▶ Play": "▶ 播放",
    "▶▶ Fast": "▶▶ 快速",
    "▶ Slow": "▶ 慢速",
    "❚❚ Pause": "❚❚ 暂停",
    "↺ Restart": "↺ 从头播放",
    "{label}: diverged at step {k}": "{label}：在第 {k} 步发散",
    "left the chart at step {k}": "在第 {k} 步离开图区",
    "{label}: left the chart at step {k}": "{label}：在第 {k} 步离开图区",
    "step {k}": "第 {k} 步",
    "step": "步数",
    "click grid": "点击网格",
    "click to start here": "点击从这里出发",
    "minima": "极小值",
    "saddles": "鞍点",
    "minimum (%{{x:.4g}}, %{{y:.4g}})": "极小值 (%{{x:.4g}}, %{{y:.4g}})",
    "saddle (%{{x:.4g}}, %{{y:.4g}})": "鞍点 (%{{x:.4g}}, %{{y:.4g}})",
    "start": "起点",
    "start (%{{x:.4g}}, %{{y:.4g}})": "起点 (%{{x:.4g}}, %{{y:.4g}})",
    "now": "当前位置",
    "{label} · average": "{label} · 平均",
    "running average, step %{{pointNumber}}": "运行平均，第 %{{pointNumber}} 步",
    "step %{{x}}: %{{y:.3g}}": "第 %{{x}} 步：%{{y:.3g}}",
    "{label}, step {k}<br>Hessian eigenvalues {low:.3g}, {high:.3g}; κ = {kappa:.3g}":
        "{label}，第 {k} 步<br>Hessian 矩阵的特征值 {low:.3g}, {high:.3g}；κ = {kappa:.3g}",
    "loss {name}": "损失 {name}",
    "step size ‖Δx‖": "步长 ‖Δx‖",
    "effective lr (x solid, y dotted)": "有效学习率（x 实线，y 虚线）",
    "distance to nearest minimum": "到最近极小值的距离",
    "distance to the saddle": "到鞍点的距离",
    # the Explore tab (ui/explore_tab.py)
    "Sweep": "扫描",
    "Basins": "吸引域",
    "Random search": "随机搜索",
    "One step": "单步分解",
    # the line search, inside one step
    "Line search": "线搜索",
    "What a line search does inside one step: φ(α) = f(x + αp) along the step's direction, the sufficient-decrease "
    "line, the α where the curvature condition holds (the band along the bottom), the acceptable α shaded, and every "
    "trial in the order it was tried.": "线搜索在一步之内做了什么：沿这一步的方向 φ(α) = f(x + αp)，充分下降线，满足曲率条件的 α"
                                        "（底部的色带），可接受的 α（阴影），以及按尝试顺序编号的每一次试探。",
    "This run takes a fixed step: give it a line search (Armijo or strong Wolfe; SGD, Newton, BFGS and L-BFGS have "
    "one) to see it search.": "这个运行的步长是固定的：给它设置线搜索（Armijo 或强 Wolfe；SGD、Newton、BFGS 和 L-BFGS 都有），"
                              "就能看到搜索过程。",
    "{n}: α = {alpha:.3g} ({outcome})": "{n}：α = {alpha:.3g}（{outcome}）",
    "Update {k}, {method}: {count} trials ({trials}); took α = {alpha:.4g}: {status}.":
        "第 {k} 次更新，{method}：{count} 次试探（{trials}）；取 α = {alpha:.4g}：{status}。",
    "accepted": "接受",
    "not enough decrease": "下降不够",
    "slope still too steep": "斜率仍太陡",
    "not below the best trial": "不低于目前最好的试探",
    "found an acceptable α": "找到了可接受的 α",
    "ran out of trials: took the best with enough decrease": "试探次数用完：取下降足够的最好一次",
    "found no step": "没有找到步长",
    "not a descent direction: no step": "不是下降方向：不走这一步",
    "sufficient decrease: φ(0) + c₁αφ′(0)": "充分下降：φ(0) + c₁αφ′(0)",
    "trial {n}: α = {alpha:.3g}, {outcome}": "第 {n} 次试探：α = {alpha:.3g}，{outcome}",
    "accepted α = {alpha:.3g}": "接受的 α = {alpha:.3g}",
    "step length α": "步长 α",
    # the notes' learning-rate picture
    "Learning rates": "学习率的效果",
    "The notes' picture of the learning rate: the same run at several learning rates spread on a log scale around "
    "its own. A very high rate blows up, a high one drops fast and then stalls, a low one crawls; the good one "
    "ends lowest.": "笔记中学习率的示意图：同一个运行，在其学习率附近按对数刻度取若干个学习率。学习率非常高时损失爆炸，"
                    "较高时先快速下降然后停滞，较低时下降缓慢；好的学习率最后最低。",
    "learning rates": "学习率个数",
    "The good learning rate is at the edge of the range tried: widen the spread (the notes: beware a best value on "
    "the edge).": "好的学习率落在所试范围的边上：请加大跨度（笔记：注意边界上的最佳值）。",
    "This run's own learning rate is the good one here.": "在这里，这个运行自己的学习率就是好的学习率。",
    "spread (decades)": "跨度（数量级）",
    "Every learning rate blew up: try a smaller one for this run.": "每个学习率都爆炸了：请给这个运行换一个更小的学习率。",
    "Add the good one (lr = {lr:.3g}) as a run": "把好的学习率（lr = {lr:.3g}）添加为一个运行",
    "lr = {lr:.3g} ({verdict})": "lr = {lr:.3g}（{verdict}）",
    "very high": "非常高",
    "high": "较高",
    "good": "好",
    "low": "较低",
    "Add a run first (“Add run”, above the tabs): its optimizer and settings are what gets explored.":
        "请先添加一个运行（选项卡上方的“添加运行”）：探索的就是它的优化器和设置。",
    "Run {n}: {label}": "运行 {n}：{label}",
    "run to explore": "要探索的运行",
    "The page shows at most {n} runs: remove one first.": "页面最多显示 {n} 个运行：请先删除一个。",
    "Added {label} to the Paths tab.": "已把 {label} 添加到“路径”标签页。",
    "{param} from": "{param} 下限",
    "{param} to": "{param} 上限",
    "{param}: 'from' must be below 'to'": "{param}：下限必须小于上限",
    "{param}: a log-scaled range must start above 0": "{param}：对数刻度的范围必须从大于 0 的数开始",
    "{param}: valid values are below {high:g}, so 'to' must be below it": "{param}：有效值都小于 {high:g}，所以上限必须小于它",
    "Every cell is a full run with that setting; all cells run in one batched call.":
        "每个格子都是用该设置完整运行一次；所有格子在一次批量计算中一起运行。",
    "x axis": "x 轴",
    "y axis": "y 轴",
    "(none: a 1-D sweep)": "（无：一维扫描）",
    "resolution": "分辨率",
    "steps per run": "每个运行的步数",
    "tolerance": "容差",
    "colour": "颜色表示",
    "steps to tol": "达到容差所需步数",
    "final loss": "最终损失",
    "Running the sweep…": "正在扫描……",
    "**Theory on this quadratic**: λmin = {lambda_min:.4g}, λmax = {lambda_max:.4g}, κ = {kappa:.4g}. Gradient "
    "descent is stable for lr < 2/λmax = **{gd_lr_max:.4g}**. Momentum is fastest at lr* = (2/(√λmin + √λmax))² = "
    "**{lr_opt:.4g}** and μ* = ((√κ − 1)/(√κ + 1))² = **{mu_opt:.4g}** (Goh, *Why Momentum Really Works*, 2017).":
        "**这个二次函数上的理论**：λmin = {lambda_min:.4g}，λmax = {lambda_max:.4g}，κ = {kappa:.4g}。"
        "梯度下降在 lr < 2/λmax = **{gd_lr_max:.4g}** 时稳定。Momentum 在 lr* = (2/(√λmin + √λmax))² = "
        "**{lr_opt:.4g}**、μ* = ((√κ − 1)/(√κ + 1))² = **{mu_opt:.4g}** 时最快"
        "（Goh，*Why Momentum Really Works*，2017）。",
    "{reached} of {cells} settings reached the tolerance, {diverged} diverged; best cell: {best}. Click a cell to "
    "add that setting as a run.":
        "{cells} 个设置中有 {reached} 个达到了容差，{diverged} 个发散；最佳格子：{best}。"
        "点击一个格子，可把该设置添加为运行。",
    "{reached} of {cells} settings reached the tolerance, {diverged} diverged; best: {best}. Click a point to add "
    "that setting as a run.":
        "{cells} 个设置中有 {reached} 个达到了容差，{diverged} 个发散；最佳：{best}。点击一个点，可把该设置添加为运行。",
    "Every start point of a grid runs the chosen run's optimizer; its colour says which minimum it ends in.":
        "网格上的每个起点都用所选运行的优化器跑一遍；颜色表示它最终落在哪个极小值。",
    "{surface} has no minimum to end in: try Himmelblau, two wells, six-hump camel or Rastrigin.":
        "{surface}没有可以落入的极小值：试试 Himmelblau 函数、双势阱、六峰驼背函数或 Rastrigin 函数。",
    "starts per side": "每边的起点数",
    "Starting a run from every point…": "正在从每个点出发运行……",
    "Reached {found} of the {minima} listed minima.": "到达了所列 {minima} 个极小值中的 {found} 个。",
    "The notes' recipe: sample lr = 10**uniform(a, b) (other parameters on their own scale), run them all, then "
    "search a narrower range around the best (coarse to fine). Beware a best value on the edge of its range. Beside "
    "it: a grid search with the same number of runs.":
        "笔记中的做法：在对数刻度上采样 lr = 10**uniform(a, b)（其他超参数用各自的刻度），全部运行，"
        "然后在最佳值附近的更小范围内再搜索（从粗到细）。注意边界上的最佳值。"
        "右边是运行次数相同的网格搜索，用来对比随机搜索。",
    "log10 lr range": "log10 lr 的范围",
    "also sample": "同时采样",
    "nothing else": "不再采样其他参数",
    "runs per stage": "每个阶段的运行次数",
    "Sampling settings…": "正在采样设置……",
    "Coarse stage: best {param} = {value:.3g} lies on the {edge} edge of [{low:g}, {high:g}]: widen the range":
        "粗搜索阶段：最佳的 {param} = {value:.3g} 位于 [{low:g}, {high:g}] 的{edge}边界上（边界上的最佳值）：请扩大范围",
    "Fine stage: best {param} = {value:.3g} lies on the {edge} edge of [{low:g}, {high:g}]: widen the range":
        "细搜索阶段：最佳的 {param} = {value:.3g} 位于 [{low:g}, {high:g}] 的{edge}边界上（边界上的最佳值）：请扩大范围",
    "lower": "下",
    "upper": "上",
    "{param}: {random} vs {grid}": "{param}：随机 {random} 个，网格 {grid} 个",
    "{param} in [{low:.3g}, {high:.3g}]": "{param} ∈ [{low:.3g}, {high:.3g}]",
    "Distinct values tried, random vs grid: {counts}. Fine stage searched {ranges}.":
        "试过的不同取值个数，随机搜索与网格搜索对比：{counts}。细搜索阶段的范围：{ranges}。",
    "Add the best setting ({best}) as a run": "把最佳设置（{best}）添加为运行",
    "One update of one run, split into the terms of its formula, with the actual numbers.":
        "一个运行的一次参数更新，按公式拆成各项，并给出实际的数值。",
    "update k": "第 k 次更新",
    "term": "项",
    "value": "值",
    "no bias correction": "无偏置校正",
    "**The parts add up**: {parts} = {delta} = Δx (largest difference {error:.1e}).":
        "**各部分相加**：{parts} = {delta} = Δx（最大误差 {error:.1e}）。",
    "Curvature at x_(k−1): Hessian eigenvalues {eigen}, condition number {condition:.4g}, {lr_max}.":
        "x_(k−1) 处的曲率：Hessian 矩阵的特征值为 {eigen}，条件数为 {condition:.4g}，{lr_max}。",
    "no upward curvature": "没有向上弯曲的方向",
    "The run stopped at step {k}.": "这个运行在第 {k} 步停止。",
    # the Explore tab's figures (viz/explore.py)
    "{param} (log scale)": "{param}（对数刻度）",
    "steps to {gap} ≤ {tol:g}": "达到 {gap} ≤ {tol:g} 所需步数",
    "log10 final {gap}": "log10 最终的 {gap}",
    "never reached": "未达到",
    "never reached tol": "没有达到容差",
    "diverged": "发散",
    "cells": "格子",
    "best cell": "最佳格子",
    "stability boundary lr = 2(1+μ)/λmax": "稳定边界 lr = 2(1+μ)/λmax",
    "theory: predicted steps to tol": "理论：预测的达到容差所需步数",
    "theory optimum (lr*, μ*)": "理论最优 (lr*, μ*)",
    "theory optimum": "理论最优",
    "measured": "实测",
    "{n} steps": "{n} 步",
    "settings": "设置",
    "learning rate η": "学习率 η",
    "theory: |1 − lr·λ|^k": "理论：|1 − lr·λ|^k",
    "2/λmax: unstable beyond": "2/λmax：超过则不稳定",
    "2/(λmin+λmax): best": "2/(λmin+λmax)：最佳",
    "basins": "吸引域",
    "minimum ({x:.3g}, {y:.3g}): {count} starts": "极小值 ({x:.3g}, {y:.3g})：{count} 个起点",
    "not converged: {count} starts": "未收敛：{count} 个起点",
    "diverged: {count} starts": "发散：{count} 个起点",
    "random, coarse ({n} runs)": "随机搜索，粗（{n} 次运行）",
    "random, fine ({n} runs)": "随机搜索，细（{n} 次运行）",
    "grid ({n} runs)": "网格搜索（{n} 次运行）",
    "final gap %{{y:.3g}}": "最终差距 %{{y:.3g}}",
    "random: {n} distinct {param} values": "随机搜索：{param} 取了 {n} 个不同的值",
    "grid: {n} distinct {param} values": "网格搜索：{param} 取了 {n} 个不同的值",
    "−∇f direction": "−∇f 方向（负梯度）",
    "momentum part": "动量部分",
    "Δx, the step taken": "Δx，实际走的一步",
    "path": "路径",
    "look-ahead x + μv": "前瞻点 x + μv",
    "look-ahead point": "前瞻点",
    "click to add this setting as a run": "点击，把这个设置加为一次运行",
    # --- the exported pictures (viz/export.py) ---
    "Export": "导出",
    "Interactive HTML": "交互式 HTML",
    "Animated GIF": "GIF 动画",
    "MP4 video": "MP4 视频",
    "PNG image": "PNG 图片",
    "HTML plays offline in any browser; GIF and MP4 are for slides; CSV is one table, a row per run and step with "
    "each run's hyperparameters, that pandas or a spreadsheet opens as it is; JSON holds the whole scene (surface, "
    "formula, start, schedule, noise, the page's link) with every path.":
        "HTML 可在任何浏览器中离线播放；GIF 和 MP4 适合放进幻灯片；CSV 是一张表，每次运行的每一步占一行，附带该运行的超参数，"
        "pandas 或电子表格可直接打开；JSON 保存整个场景（曲面、公式、起点、学习率计划、噪声、本页链接）和每条路径。",
    # --- the page's own messages (app.py) ---
    "an unexpected {kind}": "意外的 {kind}",
    "Your own scene: pick a preset to load a well-known one.": "自定义场景：选择一个预设即可载入经典场景。",
    "That change could not be applied ({error}); the page kept your scene.": "无法应用这项更改（{error}）；页面保留了你的场景。",
    "Something went wrong while drawing the page. Your scene is kept: change a setting or reload the page.":
        "绘制页面时出了问题。你的场景已保留：请更改某项设置或重新加载页面。",
    "f is not defined on about {share:.0%} of the domain (left blank in the chart); a run that steps there stops "
    "and is reported as diverged.":
        "f 在定义域中约 {share:.0%} 的区域没有定义（图中留白）；走进那里的运行会停止，并记为发散。",
    "minimum": "极小值",
    "step {k} / {n}": "第 {k} / {n} 步",
    "picture size (GIF, MP4, PNG)": "图片尺寸（GIF、MP4、PNG）",
    "1920×1080 fills a slide; the GIF and the MP4 play at the stage's speed (the whole run in 5 s unless you chose "
    "one), with its hide-the-future and arrow settings.":
        "1920×1080 正好铺满一张幻灯片；GIF 和 MP4 按舞台上选定的速度播放（未选时全程 5 秒），"
        "并沿用“隐藏未来”和更新箭头的设置。",
    "Runs: {titles}": "运行：{titles}",
    # the stage (ui/stage_web/stage.js; placeholders are filled in by the browser)
    "◀ Step": "◀ 退一步",
    "Step ▶": "进一步 ▶",
    "Reveal": "揭晓",
    "speed": "速度",
    "steps/s": "步/秒",
    "whole run in 5 s": "全程 5 秒",
    "hide the future": "隐藏未来",
    "step arrows": "更新箭头",
    "step {k} of {n}": "第 {k} 步（共 {n} 步）",
    "Space: play/pause · ←/→: one step · Home: restart": "空格：播放/暂停 · ←/→：走一步 · Home：从头播放",
    "{label}, step {k}: Hessian eigenvalues {low}, {high}; κ = {kappa}":
        "{label}，第 {k} 步：Hessian 特征值 {low}、{high}；κ = {kappa}",
    "gradient part": "梯度部分",
    "other part": "其他部分",
    "step %{{pointNumber}}": "第 %{{pointNumber}} 步",
    "▶ Play moves every run at the chosen speed and resumes where it stopped; Space, ← and → on the chart play, "
    "pause and step. Hide the future to let the class guess first. Click anywhere on the surface to start there; "
    "hover a marker for the curvature where it is.":
        "▶ 播放按所选速度移动每个运行，并从停下的地方继续；在图上按空格、← 和 → 可以播放、暂停和单步。"
        "打开“隐藏未来”，先让全班猜一猜。点击曲面上任意一点即从那里出发；把鼠标停在标记上可看该处的曲率。",
    # lesson mode (ui/lesson_panel.py)
    "Lesson": "课程",
    "no lesson": "不用课程",
    "{title} (your file)": "{title}（你的文件）",
    "A guided sequence of scenes with questions; a link with ?lesson=…&step=… opens it.":
        "按顺序讲解的一组场景，附带提问；带 ?lesson=…&step=… 的链接会直接打开它。",
    "your own lesson (.toml)": "你自己的课程（.toml）",
    "A lesson file as the README describes it, at most 200 KB.": "按 README 所述格式编写的课程文件，最大 200 KB。",
    "Your lesson file: {problem}": "你的课程文件：{problem}",
    "…and {n} more.": "……还有 {n} 条。",
    "An uploaded lesson cannot be shared by link: share its file.": "上传的课程无法通过链接分享：请分享课程文件本身。",
    "◀ Previous": "◀ 上一步",
    "**Lesson:** {title} · step {k} of {n}": "**课程：** {title} · 第 {k} 步（共 {n} 步）",
    "Next ▶": "下一步 ▶",
    "✕ Leave the lesson": "✕ 退出课程",
    "Your answer": "你的答案",
    "The answer: {choice}": "答案：{choice}",
    "Reveal the answer": "揭晓答案",
    # the network lab (ui/network_tab.py, viz/network.py, page_model/network_lab.py, nets/train.py)
    "Network": "神经网络",
    "The runs above train a small neural network: the same initial weights and the same minibatches for every run "
    "(the book's Fig. 6-9), so the only difference is the optimizer. Each run has a learning rate of its own for the "
    "network.": "上面的各次运行训练同一个小型神经网络：每次运行都从相同的初始权重出发、看到相同的小批量（书中图 6-9 的做法），"
                "所以唯一的区别就是优化器。每次运行在网络上都有自己的学习率。",
    "Data: {data} · network: {shape} {activation} · batch {batch} · {iterations} iterations":
        "数据：{data} · 网络：{shape} {activation} · 批大小 {batch} · {iterations} 次迭代",
    "cs231n's spiral, 2-100-3": "cs231n 的螺旋数据，2-100-3 网络",
    "The book's Fig. 6-9 on the digits: SGD, Momentum, AdaGrad, Adam": "书中图 6-9（手写数字）：SGD、Momentum、AdaGrad、Adam",
    "data set": "数据集",
    "hidden layers": "隐藏层数",
    "units per layer": "每层单元数",
    "activation": "激活函数",
    "relu": "ReLU 函数",
    "sigmoid": "Sigmoid 函数",
    "tanh": "tanh 函数",
    "initial weights": "初始权重",
    "He: √(2/n)": "He 初始值：√(2/n)",
    "Xavier: √(1/n)": "Xavier 初始值：√(1/n)",
    "σ = 0.01": "标准差 σ = 0.01",
    "σ = 0.1": "标准差 σ = 0.1",
    "σ = 1": "标准差 σ = 1",
    "batch size": "批大小",
    "iterations": "迭代次数",
    "seed (weights, minibatches, split)": "随机种子（权重、小批量、划分）",
    "{run}: η for the network": "{run}：网络的学习率 η",
    "Run {number} is left out: {reason}": "第 {number} 次运行未参与训练：{reason}",
    "No run can train this network: add a first-order run (SGD, Momentum, AdaGrad, Adam, …).":
        "没有能训练这个网络的运行：请添加一个一阶方法的运行（SGD、Momentum、AdaGrad、Adam 等）。",
    "This training is too large for the page: about {work:.2g} operations, the limit is {limit:.2g}. Lower the "
    "iterations, the batch size, the units, the layers or the number of runs.":
        "这次训练对本页面来说太大了：约 {work:.2g} 次运算，上限是 {limit:.2g}。请减少迭代次数、批大小、单元数、层数或运行数。",
    "{title} needs the Hessian: for this network's N = {n} weights that is N² = {n2} entries and an O(N³) solve "
    "(about {n3} operations) every step; the notes call this impractical for deep learning. Try L-BFGS or a "
    "first-order rule.": "{title} 需要海森矩阵：这个网络有 N = {n} 个权重，即 N² = {n2} 个元素，每一步还要做 O(N³) 的求解"
                         "（约 {n3} 次运算）；笔记指出这在深度学习中不现实。请试试 L-BFGS 或一阶方法。",
    "{title} keeps an N × N matrix: for this network's N = {n} weights that is N² = {n2} numbers updated every step. "
    "L-BFGS keeps only the last m steps instead.": "{title} 要维护一个 N × N 矩阵：这个网络有 N = {n} 个权重，"
                                                   "即每一步更新 N² = {n2} 个数。L-BFGS 只保留最近 m 步。",
    "Training the network…": "正在训练网络……",
    "diverged at iteration {k}": "在第 {k} 次迭代发散",
    "Network view": "网络视图",
    "Loss curves": "损失曲线",
    "Decision regions": "决策区域",
    "Landscape": "损失地形",
    "Gradient check": "梯度检查",
    "Initial weights": "权重初始值",
    "layer {k}": "第 {k} 层",
    "The book's experiment (ch. 6.2): 1000 random inputs through 5 layers of 100 units, no bias; each histogram "
    "counts one layer's activations in 30 bins over 0 … 1. The book shows, for the sigmoid, σ = 1 piling them at 0 "
    "and 1 (the gradient vanishes there, Fig. 6-10), σ = 0.01 collapsing them near 0.5 (every unit says the same, "
    "Fig. 6-11) and Xavier keeping them spread (Fig. 6-13); with ReLU, He's σ = √(2/n) keeps every layer alive where "
    "Xavier's shrinks layer by layer (Fig. 6-14).":
        "书中的实验（6.2 节）：1000 个随机输入经过 5 层、每层 100 个单元、无偏置的网络；每个直方图把一层的激活值在 0 … 1 "
        "上分成 30 个区间计数。书中显示：对 sigmoid，σ = 1 时激活值集中在 0 和 1（那里梯度消失，图 6-10），σ = 0.01 时集中在 "
        "0.5 附近（所有单元输出相同，图 6-11），Xavier 初始值保持分散（图 6-13）；对 ReLU，He 初始值 σ = √(2/n) 让每一层都"
        "保持活跃，而 Xavier 初始值则逐层收缩（图 6-14）。",
    "at iteration": "在第几次迭代",
    "iteration {k}": "第 {k} 次迭代",
    "iteration": "迭代",
    "loss": "损失",
    "training loss (minibatch)": "训练损失（小批量）",
    "validation accuracy": "验证集准确率",
    "plane": "平面",
    "principal directions of the paths": "路径的主方向",
    "filter-normalised random directions": "按滤波器归一化的随机方向",
    "Computing the landscape…": "正在计算损失地形……",
    "The loss on the plane is measured on {k} of the {n} training examples (a fixed random subset), so that it "
    "answers in about a second.": "平面上的损失只在 {n} 个训练样本中的 {k} 个上计算（固定的随机子集），以便约一秒内给出结果。",
    "The plane through the best run's final weights spanned by the first two principal directions of all the runs' "
    "weight paths: it holds {share:.1%} of their variance.":
        "该平面经过最佳运行的最终权重，由所有运行权重路径的前两个主方向张成：它包含了路径方差的 {share:.1%}。",
    "The plane through the best run's final weights along two random directions, each filter scaled to the "
    "weights' own (Li et al. 2018); the paths are projected onto it.":
        "该平面经过最佳运行的最终权重，沿两个随机方向展开，每个滤波器缩放到与权重本身相同的大小（Li 等，2018）；"
        "各条路径投影到该平面上。",
    "direction 1": "方向 1",
    "direction 2": "方向 2",
    "start θ₀": "起点 θ₀",
    "layer": "层",
    "weights checked": "检查的权重数",
    "largest relative error": "最大相对误差",
    "verdict": "结论",
    "ok with kinks": "有折点时可以接受",
    "uncomfortable": "令人不安",
    "bug": "有错误",
    "kinks crossed": "跨过的折点",
    "This run's weights are not finite here: nothing to check.": "这次运行在此处的权重不是有限值：无法检查。",
    "Analytic gradients (backpropagation) against centred differences (f(θ + h) − f(θ − h))/2h, h = 1e-5, on {n} "
    "training examples: the largest relative error |a − n| / max(|a|, |n|) per layer. cs231n's rule: above 1e-2 the "
    "gradient is probably wrong; 1e-2 to 1e-4 is uncomfortable; 1e-4 to 1e-7 is fine for ReLU (its kinks) but too "
    "high for tanh or sigmoid; below 1e-7 is good.":
        "解析梯度（反向传播）与中心差分 (f(θ + h) − f(θ − h))/2h（h = 1e-5）的比较，使用 {n} 个训练样本：每层的最大相对误差 "
        "|a − n| / max(|a|, |n|)。cs231n 的经验：大于 1e-2 梯度多半有错；1e-2 到 1e-4 令人不安；1e-4 到 1e-7 对 ReLU（有折点）"
        "可以接受，但对 tanh 或 sigmoid 偏高；小于 1e-7 为良好。",
    "using each optimizer's default": "改用各优化器的默认值",
    "learning rates from {low:g} to {high:g}, separated by commas": "从 {low:g} 到 {high:g} 的学习率，用逗号分隔",
    # the lesson panel (ui/lesson_panel.py)
    "PageUp / PageDown (a clicker) move through the steps": "PageUp / PageDown（翻页笔）可切换步骤",
    "Lesson URL": "课程网址",
    "https://…/lesson.toml": "课程文件的 https://… 地址",
    "The https:// address of a lesson file (.toml, at most 200 KB, e.g. a GitHub file's “Raw” link); press Enter "
    "to load it. Its link ?lesson=<address>&step=… opens it for the class.":
        "课程文件（.toml，最大 200 KB，例如 GitHub 上文件的“Raw”链接）的 https:// 地址；按回车载入。"
        "它的链接 ?lesson=<地址>&step=… 可以直接为全班打开。",
    "Lesson URL: {problem}": "课程网址：{problem}",
    "Lesson URL {url}: {problem}": "课程网址 {url}：{problem}",
    "{title} (from a URL)": "{title}（来自网址）",
    "URL value lesson={shown}: {problem} The lesson was not opened.": "URL 参数 lesson={shown}：{problem}未打开课程。",
    "the file holds no lesson ({problem}).": "该文件中没有课程（{problem}）。",
    # the network lab's chapter-6 views (ui/network_studies.py, viz/network_studies.py)
    "Batch Norm": "批归一化 (Batch Norm)",
    "Overfitting": "过拟合",
    "Hyperparameter search": "超参数搜索",
    "Ensembles": "模型集成",
    "Batch Norm after every hidden affine layer": "每个隐藏 Affine 层之后加 Batch Norm",
    "The book's chapter 6 experiment, in the book's setting scaled to the 8×8 digits (the caption under the figure "
    "says how); the class's changes are in the link.":
        "书中第 6 章的实验，按书中的设置缩小到 8×8 手写数字（图下的说明写明了怎样缩小）；全班所做的更改都在链接中。",
    "Another student started this computation: waiting for it…": "另一位同学已经开始了这项计算：正在等待它……",
    "Computing…": "正在计算……",
    "Training with each scale (Fig. 6-15)": "用每种尺度训练（图 6-15）",
    "The book (Fig. 6-15) trains MNIST with a 5-layer network of 100 ReLU units, SGD lr 0.01, batch 128, 2000 "
    "iterations: σ = 0.01 does not learn at all, Xavier learns and He learns fastest. Here: the 8×8 digits, the same "
    "ReLU network, SGD lr {lr}, batch {batch}, {iterations} iterations; σ = 1 sends the loss to infinity.":
        "书中（图 6-15）用 5 层、每层 100 个 ReLU 单元的网络训练 MNIST，SGD 学习率 0.01，批大小 128，迭代 2000 次："
        "σ = 0.01 完全学不动，Xavier 能学习，He 学得最快。这里：8×8 手写数字，同样的 ReLU 网络，SGD 学习率 {lr}，批大小 "
        "{batch}，迭代 {iterations} 次；σ = 1 使损失趋于无穷。",
    "with Batch Norm": "使用 Batch Norm",
    "without Batch Norm": "不使用 Batch Norm",
    "The book (Figs. 6-18, 6-19) trains 1000 MNIST images with a 6-layer network of 100 ReLU units, SGD lr 0.01, "
    "batch 100, 20 epochs, from weights W ~ N(0, σ²) for 16 scales σ, with and without a Batch Norm layer after every "
    "hidden affine layer: with it the network learns faster, and it learns at scales where the plain one does not "
    "learn at all. Here: {examples} of the 8×8 digits, 4 hidden layers of {units} units, SGD lr {lr}, batch {batch}, "
    "{epochs} epochs, {count} scales; training accuracy with Batch Norm in evaluation mode (its running averages). "
    "The network lab's settings have a Batch Norm switch too.":
        "书中（图 6-18、6-19）用 6 层、每层 100 个 ReLU 单元的网络训练 1000 张 MNIST 图像，SGD 学习率 0.01，批大小 100，"
        "20 个 epoch，权重 W ~ N(0, σ²) 取 16 种尺度 σ，比较每个隐藏 Affine 层之后有无 Batch Norm 层：有它时学得更快，"
        "而且在普通网络完全学不动的尺度上也能学习。这里：{examples} 张 8×8 手写数字，4 个隐藏层、每层 {units} 个单元，"
        "SGD 学习率 {lr}，批大小 {batch}，{epochs} 个 epoch，{count} 种尺度；训练准确率在评估模式下计算（Batch Norm "
        "使用其滑动平均）。网络实验的设置里也有 Batch Norm 开关。",
    "training images": "训练图像数",
    "dropout ratio r": "Dropout 比例 r",
    "dropout convention": "Dropout 的约定",
    "inverted: × 1/(1 − r) in training (cs231n)": "反向（inverted）：训练时 × 1/(1 − r)（cs231n）",
    "the book's: × (1 − r) at test time": "书中的：测试时 × (1 − r)",
    "plain": "无正则化",
    "λ = {decay}, r = {dropout}": "λ = {decay}，r = {dropout}",
    "{name}: validation accuracy": "{name}：验证集准确率",
    "training {train:.1%}, gap {gap:+.1%}": "训练集 {train:.1%}，差距 {gap:+.1%}",
    "training": "训练集",
    "validation": "验证集",
    "accuracy": "准确率",
    "training accuracy": "训练集准确率",
    "epoch": "轮次 (epoch)",
    "The book (Figs. 6-20, 6-21, 6-23) trains 300 MNIST images with a 7-layer network of 100 ReLU units, SGD lr "
    "0.01, batch 100, for 200 epochs: the training accuracy reaches 100 % while the test accuracy stays far below "
    "(overfitting); weight decay λ = 0.1 (½·λ·Σ‖W‖² added to the loss) and dropout r = 0.2 narrow the gap. Here: the "
    "same network and training on {examples} of the 8×8 digits, validation on the 359 held-out ones. The digits are "
    "easier than MNIST, so the gap is smaller with 300 images; 100 images show it clearly. Dropout drops each hidden "
    "unit with probability r in training; the convention above says where the factor 1 − r goes (both give the same "
    "expected output).":
        "书中（图 6-20、6-21、6-23）用 7 层、每层 100 个 ReLU 单元的网络训练 300 张 MNIST 图像，SGD 学习率 0.01，"
        "批大小 100，训练 200 个 epoch：训练准确率达到 100 %，测试准确率却远远落后（过拟合）；权值衰减 λ = 0.1（在损失中"
        "加上 ½·λ·Σ‖W‖²）和 Dropout r = 0.2 缩小了这个差距。这里：同样的网络和训练，用 {examples} 张 8×8 手写数字，"
        "在留出的 359 张上验证。手写数字比 MNIST 容易，所以 300 张时差距较小；100 张时差距很明显。Dropout 在训练时以概率 "
        "r 删除每个隐藏单元；上面的约定决定因子 1 − r 放在哪里（两者的期望输出相同）。",
    "trials": "试验次数",
    "learning rate: 10^ from … to": "学习率：10^ 从 … 到",
    "weight decay λ: 10^ from … to": "权值衰减 λ：10^ 从 … 到",
    "Search again in the best five's range (coarse → fine)": "在最好五次的范围内再搜索（由粗到细）",
    "The book's ranges": "书中的范围",
    "The best trial lies at the {end} edge of the {name} range: a better value may lie outside it. Widen the range "
    "on that side and search again (cs231n).":
        "最好的一次试验位于{name}范围的{end}边界：更好的值可能在范围之外。请在那一侧放宽范围后再搜索（cs231n）。",
    "Searching…": "正在搜索……",
    "best": "最好",
    "#{rank}: lr {lr}, λ {decay}": "第 {rank} 名：学习率 {lr}，λ {decay}",
    "The book's recipe (Fig. 6-24): sample lr = 10^uniform(−6, −2) and λ = 10^uniform(−8, −4), train briefly, rank "
    "by the accuracy on VALIDATION data carved out of the training data, then narrow the ranges and search again. "
    "Here: {trials} trials on {train} of the 8×8 digits' training images, {val} more of them for validation (the "
    "held-out split is never used: it would be tuned to), 2 hidden layers of 100 ReLU units, SGD, batch {batch}, "
    "{epochs} epochs each.":
        "书中的做法（图 6-24）：按 lr = 10^uniform(−6, −2) 和 λ = 10^uniform(−8, −4) 采样，短时间训练，按从训练数据中"
        "分出的验证数据上的准确率排序，然后缩小范围再搜索。这里：{trials} 次试验，用 8×8 手写数字训练部分中的 {train} "
        "张训练、另外 {val} 张验证（留出的部分从不使用：否则超参数会对它过拟合），2 个隐藏层、每层 100 个 ReLU 单元，"
        "SGD，批大小 {batch}，每次 {epochs} 个 epoch。",
    "members": "成员数",
    "members k": "成员数 k",
    "The same model, different initialisations": "同一模型，不同初始化",
    "The best models of the search": "搜索中最好的几个模型",
    "Checkpoints of one run": "一次训练的多个检查点",
    "Running average of one run's parameters": "一次训练的参数滑动平均",
    "a member alone": "单个成员",
    "mean of the members so far": "已加入成员的平均",
    "the ensemble (averaged predictions)": "集成（平均预测）",
    "the averaged weights": "平均后的权重",
    "cs231n: averaging the predictions of several independently trained models gains a few percent, more with more "
    "members and more when they differ. The four ways of the notes, each measured on the 359 held-out digits: the "
    "same model from different initial weights; the best models of the search (its current ranges); the weights of "
    "one run at its last checkpoints (every {every} iterations); and the running average of one run's weights over "
    "those checkpoints (one network, not an average of predictions). The models: {examples} training images, 2 "
    "hidden layers of 100 ReLU units, Momentum lr {lr}, μ {mu}, batch {batch}, {iterations} iterations.":
        "cs231n：对几个独立训练的模型的预测取平均能提高几个百分点，成员越多、差异越大，提高越多。笔记中的四种做法，"
        "都在留出的 359 张手写数字上测量：同一模型从不同的初始权重训练；搜索中最好的几个模型（当前的搜索范围）；一次训练"
        "在最后几个检查点（每 {every} 次迭代）的权重；以及一次训练在这些检查点上的权重滑动平均（一个网络，而不是预测的"
        "平均）。模型：{examples} 张训练图像，2 个隐藏层、每层 100 个 ReLU 单元，Momentum 学习率 {lr}，μ {mu}，批大小 "
        "{batch}，迭代 {iterations} 次。",
    "two powers of ten low,high with {low:g} ≤ low < high ≤ {high:g}": "两个 10 的幂指数 low,high，满足 {low:g} ≤ low < high ≤ {high:g}",
    "The server is busy: waiting for {ahead} computation(s) of other students ahead of this one…":
        "服务器正忙：正在等待排在前面的 {ahead} 项其他同学的计算……",
    "Running every learning rate…": "正在运行每个学习率……",
})
