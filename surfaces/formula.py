"""Surfaces typed as text: ``from_formula("sin(x)*cos(y) + 0.1*(x**2 + y**2)")``.

The text comes from anyone who can open the page, so it is read with
``ast.parse(text, mode="eval")`` and only this grammar (Python's own precedence) is accepted::

    sum      := sum + product | sum - product | product
    product  := product * unary | product / unary | unary
    unary    := - unary | + unary | power
    power    := atom | atom ** exponent
    atom     := number | x | y | pi | e | function(sum) | (sum)
    function := sin cos tan exp log log10 sqrt abs tanh sinh cosh arctan (atan is arctan)
    exponent := a unary without x or y, whose value lies within ±10
    number   := an int or float literal within ±1e6

A power of two numbers must be real and within ±1e6 (it is refused before it is computed
when its exponent is beyond ±10). At most 500 characters, 200 parts and 30 levels of
nesting (a chain like a + b - c or a*b/c counts as one level). Anything else is refused with a
``FormulaError`` (a ValueError) whose message names the offending part and its column; the app
shows it as is, or its ``zh`` (the same refusal in Chinese) on the Chinese page.

The text is never handed to eval, compile, sympy or the like: it becomes an expression graph
of this module's own, which is differentiated symbolically and evaluated with NumPy. Where f
is undefined (log of a negative, division by zero, ...) it gives NaN or ±inf, silently under
``np.errstate`` as ``optim_core.run`` evaluates it; such surfaces are never
``defined_everywhere``, so a run that walks there stops as diverged.
"""

from __future__ import annotations

import ast
import collections
import dataclasses
import math
import operator
import re
import threading

import numpy as np

from ._surface import Surface, coordinates, make_surface, symmetric_matrix, vector

MAX_LENGTH = 500
MAX_PARTS = 200
MAX_DEPTH = 30
MAX_NUMBER = 1e6
MAX_EXPONENT = 10
# The Hessian's program, in NumPy operations per evaluation: a sweep evaluates the gradient at every cell
# every step, so a formula whose derivatives grow with its nesting (sin(sin(…)) 28 deep: 442 operations, a
# 128 × 128 × 3000 sweep ~40 s) is refused.  Every catalogue function typed by hand takes at most ~55.
MAX_DERIVATIVE_STEPS = 300

FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "log10", "sqrt", "abs", "tanh", "sinh", "cosh", "arctan")
FUNCTION_ALIASES = {"atan": "arctan"}
CONSTANTS = {"pi": math.pi, "e": math.e}
VARIABLES = ("x", "y")

# "sign" is no function the user may call: it appears only in derivatives of abs.
_NUMPY_FUNCTIONS = {name: getattr(np, name) for name in FUNCTIONS + ("sign",)}
_BINARY_FUNCTIONS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
                     "**": operator.pow}
_AST_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_REFUSED_OPERATORS = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
                      ast.RShift: ">>", ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^"}
_FUNCTION_LIST = ", ".join(FUNCTIONS) + " (or atan)"
_FUNCTION_LIST_ZH = ", ".join(FUNCTIONS) + "（或 atan）"
_EXAMPLE = "e.g. x**2/20 + y**2"

_NOT_ALLOWED_ZH = {
    ast.Attribute: "不允许访问属性",
    ast.Subscript: "不允许用 [...] 取下标",
    ast.Slice: "不允许切片",
    ast.Lambda: "不允许 lambda",
    ast.ListComp: "不允许推导式",
    ast.SetComp: "不允许推导式",
    ast.DictComp: "不允许推导式",
    ast.GeneratorExp: "不允许推导式",
    ast.List: "不允许列表",
    ast.Tuple: "不允许元组（公式是一个表达式）",
    ast.Set: "不允许集合",
    ast.Dict: "不允许字典",
    ast.Starred: "不允许带星号的表达式（*...）",
    ast.NamedExpr: "不允许赋值（:=）",
    ast.Compare: "不允许比较",
    ast.BoolOp: "不允许 'and' 和 'or'",
    ast.IfExp: "不允许条件表达式（... if ... else ...）",
    ast.JoinedStr: "不允许 f-字符串",
    ast.FormattedValue: "不允许 f-字符串",
}
_EXAMPLE_ZH = "例如 x**2/20 + y**2"
# Python's own syntax messages in Chinese; a message not listed here is quoted as Python gives it.
_SYNTAX_ZH = (
    (r"invalid syntax", "无效的语法"),
    (r"'(.)' was never closed", r"'\1' 没有闭合"),
    (r"unmatched '(.)'", r"多余的 '\1'"),
    (r"closing parenthesis '(.)' does not match opening parenthesis '(.)'", r"右括号 '\1' 与左括号 '\2' 不匹配"),
    (r"invalid decimal literal", "无效的数字"),
    (r"invalid hexadecimal literal", "无效的十六进制数"),
    (r"invalid character '(.+)' \((U\+[0-9A-F]+)\)", r"无效的字符 '\1'（\2）"),
    (r"invalid non-printable character (U\+[0-9A-F]+)", r"无效的不可见字符 \1"),
    (r"unterminated (triple-quoted )?string literal.*", "引号没有闭合"),
    (r"leading zeros in decimal integer literals are not permitted.*", "整数不能以 0 开头"),
    (r"unexpected character after line continuation character", "续行符 \\ 后面有多余的字符"),
)


class FormulaError(ValueError):
    """A refused formula: ``str(error)`` names the offending part in English, ``error.zh`` in Chinese."""

    def __init__(self, message: str, zh: str):
        super().__init__(message)
        self.zh = zh

    def __reduce__(self):
        return FormulaError, (str(self), self.zh)


def _syntax_zh(message: str) -> str:
    """"：<the message in Chinese>", or Python's English message in brackets if it is not listed."""
    for pattern, chinese in _SYNTAX_ZH:
        if re.fullmatch(pattern, message):
            return "：" + re.sub(pattern, chinese, message)
    return f"（Python 的说明：{message}）"


_NOT_ALLOWED = {
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "indexing with [...] is not allowed",
    ast.Slice: "slices are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.List: "lists are not allowed",
    ast.Tuple: "tuples are not allowed (a formula is one expression)",
    ast.Set: "sets are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Starred: "starred expressions (*...) are not allowed",
    ast.NamedExpr: "assignments (:=) are not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "'and' and 'or' are not allowed",
    ast.IfExp: "conditional expressions (... if ... else ...) are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
}


# ---------------------------------------------------------------------------
# Expression graph


def _operands(node: tuple) -> tuple[int, ...]:
    kind = node[0]
    if kind in _BINARY_FUNCTIONS:
        return node[1], node[2]
    if kind == "neg":
        return (node[1],)
    if kind == "call":
        return (node[2],)
    return ()


def _apply(node: tuple, operand_values):
    kind = node[0]
    if kind in _BINARY_FUNCTIONS:
        return _BINARY_FUNCTIONS[kind](*operand_values)
    if kind == "neg":
        return -operand_values[0]
    return _NUMPY_FUNCTIONS[node[1]](operand_values[0])


class _Graph:
    """Expression nodes, each stored once, so that equal subexpressions are shared and computed once.

    A node is a tuple: ("x",), ("y",), ("number", value, name) with name "pi", "e" or "",
    (op, a, b) for op in + - * / **, ("neg", a) or ("call", function, a), where a and b are
    indices of earlier nodes. ``value[i]`` is node i's value when it does not depend on x or y,
    else None. The building methods below `add_node` simplify lightly (0 and 1, constants) and
    serve the derivatives; the parsed formula is added node by node as typed.
    """

    def __init__(self):
        self.nodes: list[tuple] = []
        self.value: list[np.float64 | None] = []
        self._index: dict[tuple, int] = {}

    def add_node(self, node: tuple) -> int:
        index = self._index.get(node)
        if index is None:
            index = len(self.nodes)
            self.nodes.append(node)
            self.value.append(self._constant_value(node))
            self._index[node] = index
        return index

    def _constant_value(self, node: tuple):
        if node[0] == "number":
            return np.float64(node[1])
        operand_values = [self.value[i] for i in _operands(node)]
        if not operand_values or any(v is None for v in operand_values):
            return None
        with np.errstate(all="ignore"):
            return np.float64(_apply(node, operand_values))

    def reachable(self, roots) -> list[int]:
        """Indices of the nodes the roots are computed from, in order (operands first)."""
        seen, stack = set(), list(roots)
        while stack:
            index = stack.pop()
            if index not in seen:
                seen.add(index)
                stack.extend(_operands(self.nodes[index]))
        return sorted(seen)

    def is_number(self, index: int, value: float) -> bool:
        node = self.nodes[index]
        return node[0] == "number" and node[1] == value

    def number(self, value) -> int:
        return self.add_node(("number", float(value), ""))

    def _folded(self, node: tuple) -> int:
        value = self._constant_value(node)
        return self.add_node(node) if value is None else self.number(value)

    def plus(self, a: int, b: int) -> int:
        if self.is_number(a, 0.0):
            return b
        if self.is_number(b, 0.0):
            return a
        return self._folded(("+", a, b))

    def minus(self, a: int, b: int) -> int:
        if self.is_number(b, 0.0):
            return a
        if self.is_number(a, 0.0):
            return self.negate(b)
        if a == b:
            return self.number(0.0)
        return self._folded(("-", a, b))

    def times(self, a: int, b: int) -> int:
        if self.is_number(a, 0.0) or self.is_number(b, 0.0):
            return self.number(0.0)
        if self.value[b] is not None and self.value[a] is None:
            a, b = b, a
        if self.is_number(a, 1.0):
            return b
        if self.is_number(b, 1.0):
            return a
        if self.is_number(a, -1.0):
            return self.negate(b)
        node_b = self.nodes[b]
        if self.value[a] is not None and node_b[0] == "*" and self.value[node_b[1]] is not None:
            return self.times(self.number(self.value[a] * self.value[node_b[1]]), node_b[2])
        if node_b[0] == "/" and self.is_number(node_b[1], 1.0):
            return self.divide(a, node_b[2])
        return self._folded(("*", a, b))

    def divide(self, a: int, b: int) -> int:
        if self.is_number(a, 0.0):
            return self.number(0.0)
        if self.is_number(b, 1.0):
            return a
        return self._folded(("/", a, b))

    def negate(self, a: int) -> int:
        node = self.nodes[a]
        if node[0] == "neg":
            return node[1]
        return self._folded(("neg", a))

    def power(self, a: int, exponent: float) -> int:
        if exponent == 0:
            return self.number(1.0)
        if exponent == 1:
            return a
        return self._folded(("**", a, self.number(exponent)))

    def call(self, function: str, a: int) -> int:
        return self._folded(("call", function, a))


def _outer_derivative(graph: _Graph, function: str, u: int) -> int:
    """d function(u) / du as a node."""
    one = graph.number(1.0)
    if function == "sin":
        return graph.call("cos", u)
    if function == "cos":
        return graph.negate(graph.call("sin", u))
    if function == "tan":
        return graph.plus(one, graph.power(graph.call("tan", u), 2))
    if function == "exp":
        return graph.call("exp", u)
    if function == "log":
        return graph.divide(one, u)
    if function == "log10":
        return graph.divide(one, graph.times(graph.number(math.log(10.0)), u))
    if function == "sqrt":
        return graph.divide(graph.number(0.5), graph.call("sqrt", u))
    if function == "abs":
        return graph.call("sign", u)
    if function == "tanh":
        return graph.minus(one, graph.power(graph.call("tanh", u), 2))
    if function == "sinh":
        return graph.call("cosh", u)
    if function == "cosh":
        return graph.call("sinh", u)
    if function == "arctan":
        return graph.divide(one, graph.plus(one, graph.power(u, 2)))
    if function == "sign":
        return graph.number(0.0)
    raise AssertionError(function)


def derivative(graph: _Graph, root: int, variable: str) -> int:
    """The node of d(root)/d(variable), built operands first, without recursion."""
    derivatives: dict[int, int] = {}
    zero, one = graph.number(0.0), graph.number(1.0)
    for index in graph.reachable([root]):
        node = graph.nodes[index]
        kind = node[0]
        if graph.value[index] is not None:
            result = zero
        elif kind in VARIABLES:
            result = one if kind == variable else zero
        elif kind == "neg":
            result = graph.negate(derivatives[node[1]])
        elif kind == "call":
            result = graph.times(_outer_derivative(graph, node[1], node[2]), derivatives[node[2]])
        else:
            a, b = node[1], node[2]
            da, db = derivatives[a], derivatives[b]
            if kind == "+":
                result = graph.plus(da, db)
            elif kind == "-":
                result = graph.minus(da, db)
            elif kind == "*":
                result = graph.plus(graph.times(da, b), graph.times(a, db))
            elif kind == "/":
                result = graph.minus(graph.divide(da, b), graph.divide(graph.times(a, db), graph.power(b, 2)))
            else:  # "**", whose exponent b is a number
                n = float(graph.value[b])
                result = graph.times(graph.times(graph.number(n), graph.power(a, n - 1.0)), da)
        derivatives[index] = result
    return derivatives[root]


class _Program:
    """Some nodes of a graph compiled to a flat list of NumPy operations, each node computed once."""

    def __init__(self, graph: _Graph, roots):
        slot = {}
        initial = [None, None]  # slots 0 and 1 hold x and y
        steps = []
        for index in graph.reachable(roots):
            node = graph.nodes[index]
            if node[0] in VARIABLES:
                slot[index] = VARIABLES.index(node[0])
                continue
            slot[index] = len(initial)
            initial.append(graph.value[index])
            if graph.value[index] is None:
                operand_slots = [slot[i] for i in _operands(node)]
                if node[0] in _BINARY_FUNCTIONS:
                    steps.append((slot[index], _BINARY_FUNCTIONS[node[0]], *operand_slots))
                elif node[0] == "neg":
                    steps.append((slot[index], operator.neg, operand_slots[0], None))
                else:
                    steps.append((slot[index], _NUMPY_FUNCTIONS[node[1]], operand_slots[0], None))
        self._initial = initial
        self.steps = steps
        self._root_slots = [slot[root] for root in roots]

    def __call__(self, x, y) -> list:
        values = list(self._initial)
        values[0], values[1] = x, y
        for out, function, first, second in self.steps:
            values[out] = function(values[first]) if second is None else function(values[first], values[second])
        return [values[s] for s in self._root_slots]


class _FormulaFunctions:
    """f, grad and hessian of a parsed formula, vectorised over points of shape (..., 2)."""

    def __init__(self, graph: _Graph, root: int):
        fx, fy = derivative(graph, root, "x"), derivative(graph, root, "y")
        fxx, fxy, fyy = derivative(graph, fx, "x"), derivative(graph, fx, "y"), derivative(graph, fy, "y")
        self._value = _Program(graph, [root])
        self._gradient = _Program(graph, [fx, fy])
        self._hessian = _Program(graph, [fxx, fxy, fyy])
        steps = len(self._hessian.steps)
        if steps > MAX_DERIVATIVE_STEPS:
            raise FormulaError(
                f"the formula's derivatives are too long to compute quickly: its Hessian takes {steps} operations "
                f"a point, at most {MAX_DERIVATIVE_STEPS}; nest fewer functions",
                f"公式的导数太长，无法快速计算：其 Hessian 每个点需要 {steps} 次运算，最多 {MAX_DERIVATIVE_STEPS} 次；"
                f"请减少函数的嵌套")

    def f(self, p):
        x, y = coordinates(p)
        (value,) = self._value(x, y)
        value = np.array(np.broadcast_to(value, x.shape), dtype=float)
        return value[()] if value.ndim == 0 else value

    def grad(self, p):
        x, y = coordinates(p)
        return vector(*(np.broadcast_to(v, x.shape) for v in self._gradient(x, y)))

    def hessian(self, p):
        x, y = coordinates(p)
        return symmetric_matrix(*(np.broadcast_to(v, x.shape) for v in self._hessian(x, y)))


# ---------------------------------------------------------------------------
# Parsing


def _check_text(text) -> tuple[str, int]:
    """The text without surrounding blanks, and how many blanks led it; or the refusals that need no parser.

    Those are: not text, too long (checked first, so a 10 MB string costs nothing), control
    characters, empty, brackets nested too deeply (Python's parser could run out of stack on them).
    """
    if not isinstance(text, str):
        raise FormulaError(f"the formula must be text, got {type(text).__name__}",
                           f"公式必须是文本，收到的是 {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is too long: {len(text)} characters, at most {MAX_LENGTH}",
                           f"公式太长：{len(text)} 个字符，最多 {MAX_LENGTH} 个")
    for column, character in enumerate(text, start=1):
        if ord(character) < 32 or ord(character) == 127:
            raise FormulaError(f"line breaks and control characters are not allowed: {character!r} at column {column}",
                               f"不允许换行和控制字符：第 {column} 列的 {character!r}")
    stripped = text.strip()
    if not stripped:
        raise FormulaError(f"the formula is empty: type f(x, y), {_EXAMPLE}",
                           f"公式是空的：请输入 f(x, y)，{_EXAMPLE_ZH}")
    depth = 0
    for column, character in enumerate(text, start=1):
        if character in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise FormulaError(f"too many nested brackets: more than {MAX_DEPTH} at column {column}",
                                   f"括号嵌套太多：第 {column} 列处超过 {MAX_DEPTH} 层")
        elif character in ")]}":
            depth = max(depth - 1, 0)
    return stripped, len(text) - len(text.lstrip())


def _chain_group(node) -> str | None:
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, (ast.Add, ast.Sub)):
            return "sum"
        if isinstance(node.op, (ast.Mult, ast.Div)):
            return "product"
    return None


class _Parser:
    """Turns allow-listed Python expression syntax into nodes of a _Graph, refusing everything else."""

    def __init__(self, text: str, column_shift: int = 0):
        self.text = text
        self._utf8 = text.encode("utf-8")
        self._column_shift = column_shift  # blanks stripped before the text, to count columns as typed
        self.graph = _Graph()

    def parse(self) -> int:
        try:
            tree = ast.parse(self.text, mode="eval")
        except SyntaxError as error:
            raise FormulaError(self._syntax_message(error), self._syntax_message_zh(error)) from None
        except (RecursionError, MemoryError):
            raise FormulaError(f"the formula is nested too deeply: at most {MAX_DEPTH} levels",
                               f"公式嵌套太深：最多 {MAX_DEPTH} 层") from None
        except ValueError as error:
            raise FormulaError(f"the formula cannot be read: {error}", f"无法读取公式（{error}）") from None
        self._check_size(tree.body)
        root = self.expression(tree.body)
        if self.graph.value[root] is not None:
            raise FormulaError(f"the formula does not use x or y: type a function of x and y, {_EXAMPLE}",
                               f"公式没有用到 x 或 y：请输入 x 和 y 的函数，{_EXAMPLE_ZH}")
        return root

    def _syntax_message(self, error: SyntaxError) -> str:
        message = error.msg.replace(". Perhaps you forgot a comma?", "")
        if self._needs_product_hint(error, message):
            message += " (write products with *, e.g. 2*x)"
        if error.offset and error.offset <= len(self.text):
            return f"syntax error at column {error.offset + self._column_shift}: {message}"
        return f"syntax error at the end of the formula: {message}"

    def _syntax_message_zh(self, error: SyntaxError) -> str:
        message = error.msg.replace(". Perhaps you forgot a comma?", "")
        hint = "（乘法请写 *，例如 2*x）" if self._needs_product_hint(error, message) else ""
        if error.offset and error.offset <= len(self.text):
            return f"第 {error.offset + self._column_shift} 列有语法错误{_syntax_zh(message)}{hint}"
        return f"公式末尾有语法错误{_syntax_zh(message)}{hint}"

    def _needs_product_hint(self, error: SyntaxError, message: str) -> bool:
        juxtaposed = "forgot a comma" in error.msg or (
            message == "invalid syntax" and self._juxtaposed_at(error.offset))
        return "decimal literal" in message or juxtaposed

    def _juxtaposed_at(self, offset) -> bool:
        """Whether an operand starts at this column right after another ended, as in 'x y'."""
        if not offset or not 1 < offset <= len(self.text):
            return False
        before = self.text[: offset - 1].rstrip()
        return bool(before) and (before[-1].isalnum() or before[-1] in "_).") and (
            self.text[offset - 1].isalnum() or self.text[offset - 1] in "_(.")

    def _check_size(self, top):
        parts, stack = 0, [(top, 1)]
        while stack:
            node, depth = stack.pop()
            parts += 1
            if parts > MAX_PARTS:
                raise FormulaError(
                    f"the formula has too many parts: more than {MAX_PARTS} numbers, names, operations and calls",
                    f"公式的组成部分太多：数字、名称、运算和函数调用超过 {MAX_PARTS} 个",
                )
            if depth > MAX_DEPTH:
                raise FormulaError(
                    f"the formula is nested too deeply: more than {MAX_DEPTH} levels at column {self.column(node)}",
                    f"公式嵌套太深：第 {self.column(node)} 列处超过 {MAX_DEPTH} 层",
                )
            group = _chain_group(node)
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)):
                    continue
                # a + b - c + ... and a*b/c*... are one level: a long sum is long, not deep.
                continues_chain = group is not None and child is node.left and _chain_group(child) == group
                stack.append((child, depth if continues_chain else depth + 1))

    # -- positions -------------------------------------------------------

    def _character_offset(self, byte_offset: int) -> int:
        return len(self._utf8[:byte_offset].decode("utf-8", "replace"))

    def column(self, node) -> int:
        return self._character_offset(getattr(node, "col_offset", 0)) + 1 + self._column_shift

    def segment(self, node) -> str:
        segment = ast.get_source_segment(self.text, node) or ""
        return segment if len(segment) <= 40 else segment[:39] + "…"

    def refusal(self, node, what: str, what_zh: str) -> FormulaError:
        return FormulaError(f"{what} at column {self.column(node)} ({self.segment(node)!r})",
                            f"{what_zh}：第 {self.column(node)} 列（{self.segment(node)!r}）")

    def _operator_column(self, node: ast.BinOp, symbol: str) -> int:
        start = self._character_offset(node.left.end_col_offset)
        end = self._character_offset(node.right.col_offset)
        found = self.text.find(symbol, start, end)
        return found + 1 + self._column_shift if found >= 0 else self.column(node)

    # -- nodes -----------------------------------------------------------

    def expression(self, node) -> int:
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Constant):
            return self.constant(node)
        raise self.refusal(node, _NOT_ALLOWED.get(type(node), "this kind of expression is not allowed"),
                           _NOT_ALLOWED_ZH.get(type(node), "不允许这种表达式"))

    def binary(self, node: ast.BinOp) -> int:
        symbol = _AST_OPERATORS.get(type(node.op))
        if symbol is None:
            refused = _REFUSED_OPERATORS.get(type(node.op), "?")
            column = self._operator_column(node, refused)
            if refused == "^":
                raise FormulaError(f"'^' at column {column} is not a power in Python: use ** for powers (x**2)",
                                   f"第 {column} 列的 '^' 在 Python 中不是乘方：乘方请写 **（x**2）")
            raise FormulaError(f"the operator '{refused}' at column {column} is not allowed: use + - * / and **",
                               f"第 {column} 列的运算符 '{refused}' 不允许使用：请用 + - * / 和 **")
        left = self.expression(node.left)
        right = self.expression(node.right)
        if symbol == "**":
            self._check_power(node, left, right)
        return self.graph.add_node((symbol, left, right))

    def _check_power(self, node: ast.BinOp, base: int, exponent: int):
        value = self.graph.value
        if value[exponent] is None:
            raise FormulaError(
                f"the exponent {self.segment(node.right)!r} at column {self.column(node.right)} depends on x or y: "
                f"the exponent of ** must be a number (for powers of e write exp(...))",
                f"第 {self.column(node.right)} 列的指数 {self.segment(node.right)!r} 依赖于 x 或 y："
                f"** 的指数必须是数字（e 的乘方请写 exp(...)）",
            )
        n = value[exponent]
        if not np.isfinite(n):
            raise FormulaError(f"the exponent {self.segment(node.right)!r} at column {self.column(node.right)} "
                               f"is not a finite number",
                               f"第 {self.column(node.right)} 列的指数 {self.segment(node.right)!r} 不是有限的数")
        if abs(n) > MAX_EXPONENT:
            raise FormulaError(
                f"the exponent {self.segment(node.right)!r} at column {self.column(node.right)} is too large: "
                f"exponents of ** must be numbers within ±{MAX_EXPONENT}",
                f"第 {self.column(node.right)} 列的指数 {self.segment(node.right)!r} 太大："
                f"** 的指数必须是 ±{MAX_EXPONENT} 以内的数",
            )
        if value[base] is not None:
            with np.errstate(all="ignore"):
                result = value[base] ** n
            if not np.isfinite(result):
                raise self.refusal(node, "this power of numbers is not a finite real number", "这个数的乘方不是有限的实数")
            if abs(result) > MAX_NUMBER:
                raise self.refusal(node, "this power is too large (a power of numbers must lie within ±1e6)",
                                   "这个乘方太大（数的乘方必须在 ±1e6 以内）")

    def unary(self, node: ast.UnaryOp) -> int:
        if isinstance(node.op, ast.UAdd):
            return self.expression(node.operand)
        if isinstance(node.op, ast.USub):
            return self.graph.add_node(("neg", self.expression(node.operand)))
        what = "'not' is not allowed" if isinstance(node.op, ast.Not) else "'~' is not allowed"
        what_zh = "不允许 'not'" if isinstance(node.op, ast.Not) else "不允许 '~'"
        raise self.refusal(node, what, what_zh)

    def call(self, node: ast.Call) -> int:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        function = FUNCTION_ALIASES.get(name, name)
        if name in VARIABLES or name in CONSTANTS or isinstance(node.func, (ast.Constant, ast.BinOp, ast.UnaryOp)):
            raise FormulaError(
                f"{self.segment(node.func)!r} at column {self.column(node.func)} is not a function: "
                f"write products with *, e.g. 2*(x + 1)",
                f"第 {self.column(node.func)} 列的 {self.segment(node.func)!r} 不是函数：乘法请写 *，例如 2*(x + 1)",
            )
        if function not in FUNCTIONS:
            raise FormulaError(
                f"calls are allowed only to {_FUNCTION_LIST}: {self.segment(node.func)!r} "
                f"at column {self.column(node.func)}",
                f"只允许调用 {_FUNCTION_LIST_ZH}：第 {self.column(node.func)} 列的 {self.segment(node.func)!r} 不在其中",
            )
        if node.keywords:
            raise self.refusal(node, "keyword arguments are not allowed", "不允许关键字参数")
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                raise self.refusal(argument, _NOT_ALLOWED[ast.Starred], _NOT_ALLOWED_ZH[ast.Starred])
        if len(node.args) != 1:
            raise self.refusal(node, f"{name} takes exactly one argument (got {len(node.args)})",
                               f"{name} 只接受一个参数（收到 {len(node.args)} 个）")
        return self.graph.add_node(("call", function, self.expression(node.args[0])))

    def name(self, node: ast.Name) -> int:
        name = node.id
        if name in VARIABLES:
            return self.graph.add_node((name,))
        if name in CONSTANTS:
            return self.graph.add_node(("number", CONSTANTS[name], name))
        column = self.column(node)
        if "__" in name:
            raise FormulaError(f"names with double underscores are not allowed: {name!r} at column {column}",
                               f"不允许带双下划线的名称：第 {column} 列的 {name!r}")
        if name in FUNCTIONS or name in FUNCTION_ALIASES:
            raise FormulaError(f"{name!r} at column {column} is a function: write {name}(...)",
                               f"第 {column} 列的 {name!r} 是函数：请写 {name}(...)")
        raise FormulaError(
            f"unknown name {name!r} at column {column}: the variables are x and y, the constants pi and e",
            f"第 {column} 列的名称 {name!r} 未知：变量是 x 和 y，常数是 pi 和 e",
        )

    def constant(self, node: ast.Constant) -> int:
        value = node.value
        if isinstance(value, bool):
            raise self.refusal(node, "True and False are not allowed (use 1 and 0)",
                               "不允许 True 和 False（请用 1 和 0）")
        if isinstance(value, complex):
            raise self.refusal(node, "complex numbers are not allowed", "不允许复数")
        if isinstance(value, (int, float)):
            if not abs(value) <= MAX_NUMBER:
                raise self.refusal(node, "this number is too large (numbers must lie within ±1e6)",
                                   "这个数太大（数必须在 ±1e6 以内）")
            return self.graph.add_node(("number", float(value), ""))
        if isinstance(value, str):
            raise self.refusal(node, "text in quotes is not allowed", "不允许引号中的文本")
        if isinstance(value, bytes):
            raise self.refusal(node, "bytes are not allowed", "不允许字节串")
        raise self.refusal(node, f"{value!r} is not allowed", f"不允许 {value!r}")


# ---------------------------------------------------------------------------
# Text and LaTeX of the parsed formula

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "**": 4}
_ATOM = 5
_LATEX_FUNCTIONS = {"log": r"\ln", "log10": r"\log_{10}", "arctan": r"\arctan"}


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _render(graph: _Graph, index: int, notation) -> tuple[str, int]:
    """The node written in ``notation`` (``_Text`` or ``_Latex``), and its precedence.

    One walk of the tree for both notations: a variable is itself; a number, a call, a negation
    and a binary operation are written by the notation from their operands, already written.
    """
    node = graph.nodes[index]
    kind = node[0]
    if kind in VARIABLES:
        return kind, _ATOM
    if kind == "number":
        return notation.number(node[1], node[2])
    if kind == "call":
        return notation.call(node[1], _render(graph, node[2], notation)[0])
    if kind == "neg":
        return notation.neg(*_render(graph, node[1], notation))
    left = _render(graph, node[1], notation)
    right = _render(graph, node[2], notation)
    return notation.binary(kind, left, right, left_kind=graph.nodes[node[1]][0])


class _Text:
    """Normalised Python syntax."""

    @staticmethod
    def number(value: float, name: str) -> tuple[str, int]:
        return name or _number_text(value), _ATOM

    @staticmethod
    def call(function: str, argument: str) -> tuple[str, int]:
        return f"{function}({argument})", _ATOM

    @staticmethod
    def neg(operand: str, precedence: int) -> tuple[str, int]:
        return "-" + (operand if precedence >= _PRECEDENCE["neg"] else f"({operand})"), _PRECEDENCE["neg"]

    @staticmethod
    def binary(kind: str, left: tuple, right: tuple, left_kind: str) -> tuple[str, int]:
        (left, left_precedence), (right, right_precedence) = left, right
        precedence = _PRECEDENCE[kind]
        if kind == "**":
            left_needs_parentheses = left_precedence <= precedence
            right_needs_parentheses = right_precedence < _PRECEDENCE["neg"]
        else:
            left_needs_parentheses = left_precedence < precedence
            right_needs_parentheses = right_precedence <= precedence
        left = f"({left})" if left_needs_parentheses else left
        right = f"({right})" if right_needs_parentheses else right
        separator = f" {kind} " if kind in "+-" else kind
        return left + separator + right, precedence


class _Latex:
    """LaTeX; a fraction counts as a product."""

    @staticmethod
    def number(value: float, name: str) -> tuple[str, int]:
        if name:
            return {"pi": r"\pi", "e": "e"}[name], _ATOM
        text = _number_text(value)
        if "e" in text:
            mantissa, exponent = text.split("e")
            return rf"{mantissa}\cdot 10^{{{int(exponent)}}}", _PRECEDENCE["*"]
        return text, _ATOM

    @staticmethod
    def call(function: str, argument: str) -> tuple[str, int]:
        if function == "sqrt":
            return rf"\sqrt{{{argument}}}", _ATOM
        if function == "abs":
            return rf"\left|{argument}\right|", _ATOM
        command = _LATEX_FUNCTIONS.get(function, "\\" + function)
        return rf"{command}\left({argument}\right)", _ATOM

    @staticmethod
    def neg(operand: str, precedence: int) -> tuple[str, int]:
        return "-" + (operand if precedence > _PRECEDENCE["-"] else _parenthesised(operand)), _PRECEDENCE["neg"]

    @staticmethod
    def binary(kind: str, left: tuple, right: tuple, left_kind: str) -> tuple[str, int]:
        (left, left_precedence), (right, right_precedence) = left, right
        if kind == "/":
            return rf"\frac{{{left}}}{{{right}}}", _PRECEDENCE["/"]
        if kind == "**":
            if left_precedence < _ATOM or left_kind == "/":
                left = _parenthesised(left)
            return f"{left}^{{{right}}}", _PRECEDENCE["**"]
        precedence = _PRECEDENCE[kind]
        if left_precedence < precedence:
            left = _parenthesised(left)
        if right_precedence <= precedence or right_precedence == _PRECEDENCE["neg"]:
            right = _parenthesised(right)
        if kind in "+-":
            return left + kind + right, precedence
        if right[0].isdigit():
            separator = r" \cdot "
        elif left[-1].isdigit():
            separator = ""
        else:
            separator = r"\,"
        return left + separator + right, precedence


def _parenthesised(latex: str) -> str:
    return rf"\left({latex}\right)"


def formula_text(graph: _Graph, index: int) -> tuple[str, int]:
    """The node as normalised Python syntax, and its precedence."""
    return _render(graph, index, _Text)


def formula_latex(graph: _Graph, index: int) -> tuple[str, int]:
    """The node as LaTeX, and its precedence (a fraction counts as a product)."""
    return _render(graph, index, _Latex)


# ---------------------------------------------------------------------------
# What the surface knows about itself: critical points, start, contour spacing

_SAMPLES = 101  # grid sample per axis, for the domain check and the contour spacing
_NEWTON_STARTS = 21  # Newton starts per axis
_NEWTON_STEPS = 60


def _grid(x_range, y_range, count: int) -> np.ndarray:
    x = np.linspace(*x_range, count)
    y = np.linspace(*y_range, count)
    return np.stack(np.meshgrid(x, y), axis=-1).reshape(-1, 2)


def _inside(points, x_range, y_range) -> np.ndarray:
    x, y = points[..., 0], points[..., 1]
    return (x_range[0] <= x) & (x <= x_range[1]) & (y_range[0] <= y) & (y <= y_range[1])


def _critical_points(functions: _FormulaFunctions, x_range, y_range) -> tuple[np.ndarray, np.ndarray]:
    """Minima (lowest first) and saddles inside the domain, by Newton's method from a grid of starts.

    Kept only where Newton settled (last step ≤ 1e-12 relative), ‖∇f‖ < 1e-10 and f is finite;
    a minimum has a positive definite Hessian, a saddle one negative and one positive eigenvalue.
    """
    points = _grid(x_range, y_range, _NEWTON_STARTS)
    scale = max(x_range[1] - x_range[0], y_range[1] - y_range[0])
    step_size = np.full(len(points), np.inf)
    for _ in range(_NEWTON_STEPS):
        g = functions.grad(points)
        h = functions.hessian(points)
        determinant = h[:, 0, 0] * h[:, 1, 1] - h[:, 0, 1] * h[:, 1, 0]
        step = np.stack([h[:, 1, 1] * g[:, 0] - h[:, 0, 1] * g[:, 1],
                         h[:, 0, 0] * g[:, 1] - h[:, 1, 0] * g[:, 0]], axis=-1) / determinant[:, None]
        points = points - step
        step_size = np.abs(step).max(axis=-1)
        # Points that left the neighbourhood of the domain or went non-finite are dropped for good.
        keep = np.all(np.isfinite(points), axis=-1) & _inside(
            points, (x_range[0] - scale, x_range[1] + scale), (y_range[0] - scale, y_range[1] + scale))
        points, step_size = points[keep], step_size[keep]
        if np.all(step_size <= 1e-12 * (1.0 + np.abs(points).max(axis=-1))):
            break
    settled = step_size <= 1e-12 * (1.0 + np.abs(points).max(axis=-1))
    settled &= np.linalg.norm(functions.grad(points), axis=-1) < 1e-10
    settled &= _inside(points, x_range, y_range) & np.isfinite(functions.f(points))
    points = _distinct(points[settled], tolerance=1e-7 * scale)
    eigenvalues = np.linalg.eigvalsh(functions.hessian(points)) if len(points) else np.zeros((0, 2))
    minima = points[eigenvalues[:, 0] > 0]
    saddles = points[(eigenvalues[:, 0] < 0) & (eigenvalues[:, 1] > 0)]
    minima = minima[np.argsort(functions.f(minima), kind="stable")]
    return minima, saddles


def _distinct(points: np.ndarray, tolerance: float) -> np.ndarray:
    """The points without repeats: each point farther than `tolerance` (in x or y) from those kept before it."""
    kept = np.empty((0, 2))
    for point in points[np.lexsort(points.T[::-1])]:
        if not np.any(np.max(np.abs(kept - point), axis=-1) <= tolerance):
            kept = np.concatenate([kept, point[None]])
    return kept


def _default_start(functions: _FormulaFunctions, x_range, y_range, critical_points, sample) -> np.ndarray:
    """70 % of the way from the centre to a corner (top left first), else a sampled point.

    The first candidate where f and ∇f are finite and ∇f ≠ 0; on a flat formula (x - x) the first
    where they are finite; None if there is none.
    """
    centre = np.array([(x_range[0] + x_range[1]) / 2, (y_range[0] + y_range[1]) / 2])
    corners = np.array([[x_range[0], y_range[1]], [x_range[1], y_range[1]],
                        [x_range[0], y_range[0]], [x_range[1], y_range[0]]])
    candidates = np.concatenate([centre + 0.7 * (corners - centre), sample])
    gradients = functions.grad(candidates)
    usable = np.isfinite(functions.f(candidates)) & np.all(np.isfinite(gradients), axis=-1)
    for point in critical_points:
        usable &= np.max(np.abs(candidates - point), axis=-1) > 1e-6
    sloped = usable & (np.linalg.norm(gradients, axis=-1) > 1e-8)
    for choice in (sloped, usable):
        if choice.any():
            return candidates[np.argmax(choice)]
    return None


def _use_log_levels(values: np.ndarray) -> bool:
    """f ≥ 0 and its lowest 1 % lies within a thousandth of its range above the minimum (deep narrow valleys).

    Calibrated on the catalogue: true for Rosenbrock and Beale, false for the bowl, the quadratics
    and the other surfaces, whose evenly spaced contours read well.
    """
    low, high = values.min(), values.max()
    if low < 0 or not high > low:
        return False
    return bool(high - low > 1e3 * (np.percentile(values, 1) - low))


# ---------------------------------------------------------------------------
# The surface


@dataclasses.dataclass(frozen=True, eq=False)
class FormulaSurface(Surface):
    """A Surface typed as text; it pickles as the `from_formula` call that made it."""

    arguments: tuple = ()

    def __repr__(self) -> str:
        text, x_range, y_range, start = self.arguments
        start_text = "" if start is None else f", start={start!r}"
        return f"surfaces.from_formula({text!r}, x_range={x_range!r}, y_range={y_range!r}{start_text})"

    def __reduce__(self):
        return from_formula, self.arguments


def _checked_pair(name: str, value, what: str) -> tuple[float, float]:
    try:
        if isinstance(value, (str, bytes)):
            raise TypeError
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise FormulaError(f"{name} = {value!r} is not valid: give {what} as two numbers",
                           f"{name} = {value!r} 无效：请把 {what} 写成两个数") from None
    if not (math.isfinite(low) and math.isfinite(high) and abs(low) <= MAX_NUMBER and abs(high) <= MAX_NUMBER):
        raise FormulaError(f"{name} = {value!r} is out of range: numbers must be finite and within ±1e6",
                           f"{name} = {value!r} 超出范围：数必须是有限的，且在 ±1e6 以内")
    return low + 0.0, high + 0.0


def from_formula(text: str, x_range=(-5, 5), y_range=(-5, 5), start=None) -> Surface:
    """The surface f(x, y) = ``text`` over ``x_range`` × ``y_range``, e.g. ``from_formula("x**2/20 + y**2")``.

    The grammar and limits are in this module's docstring. Returns a Surface with id "formula",
    the normalised text as title, exact vectorised f, grad and hessian, the minima and saddles
    Newton's method finds inside the domain, and ``start`` (default: 70 % of the way from the
    centre to a corner) as default start. Equal arguments give the identical surface.
    Raises ValueError with a message for the user for anything refused.
    """
    text, leading_blanks = _check_text(text)
    x_range = _checked_pair("x_range", x_range, "(low, high)")
    y_range = _checked_pair("y_range", y_range, "(low, high)")
    for name, (low, high) in (("x_range", x_range), ("y_range", y_range)):
        if not low < high:
            raise FormulaError(f"{name} = ({low:g}, {high:g}) is empty: the low end must be below the high end",
                               f"{name} = ({low:g}, {high:g}) 是空的：下限必须小于上限")
    if start is not None:
        start = _checked_pair("start", start, "(x, y)")
        if not _inside(np.array(start), x_range, y_range):
            raise FormulaError(f"start = ({start[0]:g}, {start[1]:g}) lies outside the domain "
                               f"[{x_range[0]:g}, {x_range[1]:g}] × [{y_range[0]:g}, {y_range[1]:g}]",
                               f"起点 ({start[0]:g}, {start[1]:g}) 在定义域 "
                               f"[{x_range[0]:g}, {x_range[1]:g}] × [{y_range[0]:g}, {y_range[1]:g}] 之外")
    key = (text, x_range, y_range, start)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    surface = _build(text, leading_blanks, x_range, y_range, start)
    with _CACHE_LOCK:
        surface = _CACHE.setdefault(key, surface)  # a thread that built it first wins: one object per key
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return surface


# Built surfaces by (text, x_range, y_range, start), least recently used first.
_CACHE: collections.OrderedDict = collections.OrderedDict()
_CACHE_SIZE = 64
_CACHE_LOCK = threading.Lock()


def _build(text: str, leading_blanks: int, x_range, y_range, given_start) -> FormulaSurface:
    """Parse, differentiate, look for critical points and a start, and assemble the Surface."""
    parser = _Parser(text, column_shift=leading_blanks)
    root = parser.parse()
    graph = parser.graph
    functions = _FormulaFunctions(graph, root)
    domain = f"[{x_range[0]:g}, {x_range[1]:g}] × [{y_range[0]:g}, {y_range[1]:g}]"
    with np.errstate(all="ignore"):
        sample = _grid(x_range, y_range, _SAMPLES)
        values = functions.f(sample)
        finite_values = values[np.isfinite(values)]
        if finite_values.size == 0:
            raise FormulaError(f"f is not defined anywhere in the domain {domain}: it is NaN or infinite at every "
                               f"sampled point", f"f 在定义域 {domain} 中处处没有定义：在每个采样点上都是 NaN 或无穷大")
        minima, saddles = _critical_points(functions, x_range, y_range)
        # A local minimum is f_min only if no sampled point lies lower (else f falls away elsewhere).
        f_min = None
        if len(minima):
            lowest = float(functions.f(minima[0]))
            f_min = lowest if lowest <= finite_values.min() + 1e-12 * (1.0 + abs(lowest)) else None
        start = given_start
        if start is None:
            start = _default_start(functions, x_range, y_range, np.concatenate([minima, saddles]), sample)
            if start is None:
                raise FormulaError(f"f has no point in the domain {domain} where it and its gradient are "
                                   f"finite: there is nowhere to start",
                                   f"在定义域 {domain} 中找不到 f 及其梯度都有限的点：无处出发")
        else:
            value_at_start = functions.f(np.array(start))
            if not np.isfinite(value_at_start):
                raise FormulaError(f"f is not defined at the start ({start[0]:g}, {start[1]:g}): "
                                   f"it is {value_at_start}",
                                   f"f 在起点 ({start[0]:g}, {start[1]:g}) 处没有定义：其值为 {value_at_start}")
        log_levels = _use_log_levels(finite_values)
    title = formula_text(graph, root)[0]
    surface = make_surface(
        id="formula",
        title=title,
        latex="f(x,y)=" + formula_latex(graph, root)[0],
        f=functions.f,
        grad=functions.grad,
        hessian=functions.hessian,
        x_range=x_range,
        y_range=y_range,
        minima=minima,
        f_min=f_min,
        saddles=saddles,
        default_start=tuple(start),
        log_levels=log_levels,
        reference="typed by the user",
        defined_everywhere=False,
    )
    fields = {field.name: getattr(surface, field.name) for field in dataclasses.fields(Surface)}
    arguments = (text, x_range, y_range, given_start)
    return FormulaSurface(**fields, arguments=arguments)
