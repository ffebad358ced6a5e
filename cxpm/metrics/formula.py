"""The small formula language of metric definitions, compiled to Ibis expressions.

Syntax is a restricted subset of Python expressions, parsed with `ast`:
column names, numbers, 'strings', True/False/None, + - * /, comparisons (== != < <= > >=,
`in` / `not in` a tuple or a list parameter), and/or/not, and these functions:
coalesce(a, b, ...), isnull(x), notnull(x), if_else(cond, a, b), seconds_between(t0, t1),
param('key'), param_by('key', column, ...) and choose(selector, name=expr, ...).
Parameters are constants, so expressions over them fold before reaching Ibis (the SQL of
`choose(param('service_level.variant'), ...)` holds only the chosen branch).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import ibis
import ibis.expr.types as ir

from cxpm.errors import CxpmError
from cxpm.metrics.params import PARAM_FAMILIES, SPECS_BY_KEY

FUNCTIONS = ("coalesce", "isnull", "notnull", "if_else", "seconds_between", "param", "param_by",
             "choose")

_ARITHMETIC: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


class FormulaError(CxpmError):
    """A formula that cannot be parsed or compiled; the message names the problem."""


@lru_cache(maxsize=1024)
def parse(text: str) -> ast.expr:
    """The checked syntax tree of a formula."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("empty formula")
    try:
        tree = ast.parse(" ".join(text.split()), mode="eval").body
    except SyntaxError as exc:
        raise FormulaError(f"bad syntax in {text!r}: {exc.msg}") from None
    _check(tree)
    return tree


def _check(node: ast.AST) -> None:
    allowed = (ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare,
               ast.Call, ast.Tuple, ast.List, ast.Load, ast.keyword, ast.operator, ast.unaryop,
               ast.boolop, ast.cmpop)
    if not isinstance(node, allowed):
        raise FormulaError(f"unsupported syntax {type(node).__name__} "
                           f"({ast.unparse(node) if isinstance(node, ast.expr) else ''})")
    if isinstance(node, ast.BinOp) and type(node.op) not in _ARITHMETIC:
        raise FormulaError(f"unsupported operator in {ast.unparse(node)!r}; use + - * /")
    if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.USub | ast.UAdd | ast.Not):
        raise FormulaError(f"unsupported operator in {ast.unparse(node)!r}")
    if isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) not in _COMPARE and not isinstance(op, ast.In | ast.NotIn):
                raise FormulaError(f"unsupported comparison in {ast.unparse(node)!r}")
    if isinstance(node, ast.Constant) and not isinstance(
            node.value, int | float | str | bool | type(None)):
        raise FormulaError(f"unsupported constant {node.value!r}")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = ast.unparse(node.func)
            raise FormulaError(f"unknown function {name!r}; functions are "
                               f"{', '.join(FUNCTIONS)}")
        if node.keywords and node.func.id != "choose":
            raise FormulaError(f"{node.func.id}() takes no keyword arguments")
        for arg in node.args:
            _check(arg)
        for kw in node.keywords:
            if kw.arg is None:
                raise FormulaError("choose() does not accept **arguments")
            _check(kw.value)
        return
    for child in ast.iter_child_nodes(node):
        _check(child)


def columns(text: str) -> set[str]:
    """Column names a formula reads."""
    names: set[str] = set()
    for node in ast.walk(parse(text)):
        if isinstance(node, ast.Name) and not _is_function_name(node, parse(text)):
            names.add(node.id)
    return names


def _is_function_name(name: ast.Name, tree: ast.expr) -> bool:
    return any(isinstance(n, ast.Call) and n.func is name for n in ast.walk(tree))


def parameters(text: str) -> list[str]:
    """Parameter keys a formula reads; `param_by('k', c)` reads k and the `k_by_c.*` keys."""
    keys: list[str] = []
    for node in ast.walk(parse(text)):
        if isinstance(node, ast.Call) and node.func.id in ("param", "param_by") and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                keys.append(first.value)
                if node.func.id == "param_by":
                    keys += [f"{first.value}_by_{a.id}.*" for a in node.args[1:]
                             if isinstance(a, ast.Name)]
    return list(dict.fromkeys(keys))


def compile_formula(text: str, table: ir.Table, params: Mapping[str, Any]) -> Any:
    """An Ibis expression over `table` (or a Python constant when the formula is constant)."""
    return _Compiler(table, params).visit(parse(text))


class _Compiler:
    def __init__(self, table: ir.Table, params: Mapping[str, Any]) -> None:
        self.table = table
        self.params = params

    def visit(self, node: ast.expr) -> Any:
        method = getattr(self, f"visit_{type(node).__name__}")
        return method(node)

    def visit_Name(self, node: ast.Name) -> Any:  # noqa: N802 - ast visitor naming
        if node.id not in self.table.columns:
            raise FormulaError(f"unknown column {node.id!r}; available: "
                               f"{', '.join(sorted(self.table.columns))}")
        return self.table[node.id]

    def visit_Constant(self, node: ast.Constant) -> Any:  # noqa: N802
        return node.value

    def visit_Tuple(self, node: ast.Tuple | ast.List) -> Any:  # noqa: N802
        values = [self.visit(e) for e in node.elts]
        if any(isinstance(v, ir.Expr) for v in values):
            raise FormulaError(f"a list may hold only constants: {ast.unparse(node)!r}")
        return list(values)

    visit_List = visit_Tuple  # noqa: N815

    def visit_BinOp(self, node: ast.BinOp) -> Any:  # noqa: N802
        left, right = self.visit(node.left), self.visit(node.right)
        if left is None or right is None:
            raise FormulaError(f"arithmetic on None in {ast.unparse(node)!r}")
        if not _is_expr(left) and not _is_expr(right):
            try:
                return _ARITHMETIC[type(node.op)](left, right)
            except (TypeError, ZeroDivisionError) as exc:
                raise FormulaError(f"cannot evaluate {ast.unparse(node)!r}: {exc}") from None
        left, right = _numeric(left, node), _numeric(right, node)
        return _ARITHMETIC[type(node.op)](left, right)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:  # noqa: N802
        value = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            if not _is_expr(value):
                return not value
            _boolean(value, node)
            return ~value
        if isinstance(node.op, ast.USub):
            return -value
        return value

    def visit_BoolOp(self, node: ast.BoolOp) -> Any:  # noqa: N802
        is_and = isinstance(node.op, ast.And)
        terms = []
        for operand in node.values:
            value = self.visit(operand)
            if not _is_expr(value):
                if bool(value) != is_and:  # False in `and` / True in `or` decides it
                    return bool(value)
                continue
            terms.append(_boolean(value, operand))
        if not terms:
            return is_and
        result = terms[0]
        for term in terms[1:]:
            result = (result & term) if is_and else (result | term)
        return result

    def visit_Compare(self, node: ast.Compare) -> Any:  # noqa: N802
        left = self.visit(node.left)
        results = []
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.visit(right_node)
            results.append(self._compare(op, left, right, node))
            left = right
        constants = [r for r in results if not _is_expr(r)]
        if any(not r for r in constants):
            return False
        terms = [r for r in results if _is_expr(r)]
        if not terms:
            return True
        result = terms[0]
        for term in terms[1:]:
            result = result & term
        return result

    def _compare(self, op: ast.cmpop, left: Any, right: Any, node: ast.Compare) -> Any:
        if isinstance(op, ast.In | ast.NotIn):
            if not isinstance(right, list):
                raise FormulaError(f"`in` needs a tuple of constants or a list parameter: "
                                   f"{ast.unparse(node)!r}")
            if _is_expr(left):
                result = left.isin(right)
                return ~result if isinstance(op, ast.NotIn) else result
            return (left in right) != isinstance(op, ast.NotIn)
        if left is None or right is None:
            raise FormulaError(f"compare with None in {ast.unparse(node)!r}; use isnull() or "
                               "notnull()")
        try:
            return _COMPARE[type(op)](left, right)
        except TypeError as exc:
            raise FormulaError(f"cannot compare in {ast.unparse(node)!r}: {exc}") from None

    def visit_Call(self, node: ast.Call) -> Any:  # noqa: N802
        name = node.func.id
        if name == "choose":
            return self._choose(node)
        if name in ("param", "param_by"):
            return self._param(node)
        args = [self.visit(a) for a in node.args]
        arity = {"isnull": 1, "notnull": 1, "if_else": 3, "seconds_between": 2}
        if name in arity and len(args) != arity[name]:
            raise FormulaError(f"{name}() takes {arity[name]} argument(s): "
                               f"{ast.unparse(node)!r}")
        if name == "coalesce":
            if len(args) < 2:
                raise FormulaError(f"coalesce() takes 2 or more arguments: "
                                   f"{ast.unparse(node)!r}")
            if not any(_is_expr(a) for a in args):
                return next((a for a in args if a is not None), None)
            return ibis.coalesce(*args)
        if name in ("isnull", "notnull"):
            value = args[0]
            if not _is_expr(value):
                return (value is None) == (name == "isnull")
            return value.isnull() if name == "isnull" else value.notnull()
        if name == "if_else":
            cond, then, other = args
            if not _is_expr(cond):
                return then if cond else other
            _boolean(cond, node)
            return _null_safe_ifelse(cond, then, other)
        start, end = args
        for value in (start, end):
            if not _is_expr(value) or not value.type().is_timestamp():
                raise FormulaError(f"seconds_between() needs two timestamp columns: "
                                   f"{ast.unparse(node)!r}")
        return end.epoch_seconds().cast("float64") - start.epoch_seconds().cast("float64")

    def _param(self, node: ast.Call) -> Any:
        name = node.func.id
        if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(
                node.args[0].value, str):
            raise FormulaError(f"{name}() needs a parameter key in quotes: "
                               f"{ast.unparse(node)!r}")
        key = node.args[0].value
        if key not in SPECS_BY_KEY:
            raise FormulaError(f"unknown parameter {key!r} in {ast.unparse(node)!r}")
        value = self.params.get(key, SPECS_BY_KEY[key].default)
        if name == "param":
            if len(node.args) != 1:
                raise FormulaError(f"param() takes one key: {ast.unparse(node)!r}")
            return value
        if len(node.args) < 2 or not all(isinstance(a, ast.Name) for a in node.args[1:]):
            raise FormulaError(f"param_by() needs a key and one or more column names: "
                               f"{ast.unparse(node)!r}")
        cases = []
        for column_node in node.args[1:]:
            prefix = f"{key}_by_{column_node.id}"
            if prefix not in {f.prefix for f in PARAM_FAMILIES}:
                raise FormulaError(f"param_by(): there are no {prefix}.* parameters")
            column = self.visit(column_node)
            for param_key in sorted(k for k in self.params if k.startswith(prefix + ".")):
                cases.append((column == param_key[len(prefix) + 1:], self.params[param_key]))
        if not cases:
            return value
        return ibis.cases(*cases, else_=value)

    def _choose(self, node: ast.Call) -> Any:
        if len(node.args) != 1 or not node.keywords:
            raise FormulaError(f"choose() needs a selector and named branches: "
                               f"{ast.unparse(node)!r}")
        selector = self.visit(node.args[0])
        if _is_expr(selector):
            raise FormulaError(f"choose() selector must be a parameter: {ast.unparse(node)!r}")
        for kw in node.keywords:
            if kw.arg == selector:
                return self.visit(kw.value)
        raise FormulaError(f"choose() has no branch for {selector!r}; branches: "
                           f"{', '.join(str(kw.arg) for kw in node.keywords)}")


def _is_expr(value: Any) -> bool:
    return isinstance(value, ir.Expr)


def _boolean(value: Any, node: ast.AST) -> Any:
    if _is_expr(value) and not value.type().is_boolean():
        raise FormulaError(f"expected a true/false expression, got {value.type()} in "
                           f"{ast.unparse(node)!r}")
    return value


def _numeric(value: Any, node: ast.AST) -> Any:
    if _is_expr(value):
        if value.type().is_boolean():
            return value.ifelse(1, 0)
        if not value.type().is_numeric():
            raise FormulaError(f"arithmetic needs numbers, got {value.type()} in "
                               f"{ast.unparse(node)!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormulaError(f"arithmetic needs numbers, got {value!r} in {ast.unparse(node)!r}")
    return value


def _null_safe_ifelse(cond: Any, then: Any, other: Any) -> Any:
    typed = next((v for v in (then, other) if _is_expr(v)), None)
    if then is None and other is None:
        raise FormulaError("if_else() needs at least one non-None branch")
    if then is None or other is None:
        target = typed.type() if typed is not None else ibis.literal(
            then if then is not None else other).type()
        then = ibis.null(target) if then is None else then
        other = ibis.null(target) if other is None else other
    return cond.ifelse(then, other)
