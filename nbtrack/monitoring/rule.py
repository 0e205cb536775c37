"""Monitor rules: when a served version should be retrained, as a condition on the
figures of its latest monitoring window.

The grammar is the run filters' (the same tokens, ``and`` / ``or``, parentheses and
comparison operators; see :mod:`nbtrack.filter_tokens`) with arithmetic on both
sides of a comparison::

    rule       := conjunct ("or" conjunct)*
    conjunct   := atom ("and" atom)*
    atom       := "(" rule ")" | comparison
    comparison := sum op sum                op: = == != <> < <= > >=
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | number | figure | "(" sum ")"

A figure is ``drift.share``, ``drift.max_psi``, ``drift.detected``,
``drift.psi.<feature>``, ``drift.p.<feature>``, ``requests``, ``errors``,
``error_rate``, ``rows``, ``throughput``, ``latency.p50`` / ``p95`` / ``p99``, a
realised performance figure (:data:`PERFORMANCE`: present only when labels are
joined), or ``baseline.<metric>`` (the metric the registered version recorded).
A comparison with a figure that is absent is false, as a filter's comparison with
a metric a run lacks matches nothing. The text is parsed into a tree and evaluated
by walking it; nothing is ever passed to ``eval``.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Callable, Mapping, Union

from ..errors import FilterSyntaxError
from ..filter_tokens import BooleanParser

__all__ = ["Figure", "Number", "Arithmetic", "Test", "Either", "parse_rule", "figures",
           "evaluate", "explain", "PERFORMANCE"]

#: Realised performance figures (known once labels join the serving log).
PERFORMANCE = ("labelled", "accuracy", "precision", "recall", "f1", "mae", "rmse", "r2")
_PLAIN = ("requests", "errors", "error_rate", "rows", "throughput") + PERFORMANCE
_DOTTED = {"drift": ("share", "max_psi", "detected"), "latency": ("p50", "p95", "p99")}
_FEATURE_PREFIXES = ("drift.psi.", "drift.p.")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq, "==": operator.eq, "!=": operator.ne, "<>": operator.ne,
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


@dataclass(frozen=True)
class Figure:
    """A named figure of the window (or ``baseline.<metric>``)."""

    name: str


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Arithmetic:
    op: str
    left: Term
    right: Term


Term = Union[Figure, Number, Arithmetic]


@dataclass(frozen=True)
class Test:
    """``left op right``."""

    left: Term
    op: str
    right: Term


@dataclass(frozen=True)
class Either:
    """``and`` / ``or`` over two or more conditions."""

    op: str
    items: tuple[Rule, ...]


Rule = Union[Test, Either]
_FIGURE_HINT = ("use drift.share, drift.max_psi, drift.psi.<feature>, error_rate, "
                "latency.p95, throughput, requests, a metric such as f1, or baseline.<metric>")


def _known(name: str) -> bool:
    if name in _PLAIN or name.startswith(_FEATURE_PREFIXES):
        return True
    head, _, rest = name.partition(".")
    if head == "baseline":
        return bool(rest)
    return rest in _DOTTED.get(head, ())


class _RuleParser(BooleanParser[Rule]):
    NOT_HINT = "NOT before a condition is not supported; write the opposite comparison"

    def __init__(self, text: str) -> None:
        super().__init__(text, "monitor rule", arithmetic=True)

    def combine(self, op: str, items: tuple[Rule, ...]) -> Rule:
        return Either(op, items)

    def parse_atom(self) -> Rule:
        if not self.at_punct("("):
            return super().parse_atom()
        # "(" opens a group of conditions, or an arithmetic term: "(a - b) > 0.1"
        start = self.i
        try:
            return super().parse_atom()
        except FilterSyntaxError as as_group:
            self.i = start
            try:
                return self.parse_comparison()
            except FilterSyntaxError as as_term:
                # the reading that got further says best what is wrong
                raise as_group if as_group.position >= as_term.position else as_term \
                    from None

    def parse_comparison(self) -> Rule:
        left = self.parse_sum()
        tok = self.tok
        if tok.type != "op":
            raise self.error("expected a comparison (<, <=, >, >=, =, !=)")
        self.take()
        return Test(left, tok.text, self.parse_sum())

    def parse_sum(self) -> Term:
        term = self.parse_product()
        while True:
            tok = self.tok
            if tok.type == "arith" and tok.text in "+-":
                self.take()
                term = Arithmetic(tok.text, term, self.parse_product())
            elif tok.type == "number" and tok.text[0] in "+-":
                # "baseline.f1 -0.05": the sign is the operator
                self.take()
                term = Arithmetic(tok.text[0], term, Number(float(tok.text[1:])))
            else:
                return term

    def parse_product(self) -> Term:
        term = self.parse_unary()
        while self.tok.type == "arith" and self.tok.text in "*/":
            op = self.take().text
            term = Arithmetic(op, term, self.parse_unary())
        return term

    def parse_unary(self) -> Term:
        tok = self.tok
        if tok.type == "arith" and tok.text == "-":
            self.take()
            return Arithmetic("-", Number(0.0), self.parse_unary())
        if tok.type == "number":
            self.take()
            return Number(float(tok.text))
        if self.at_punct("("):
            self.take()
            term = self.parse_sum()
            self.expect_punct(")")
            return term
        if tok.type in ("word", "backtick"):
            return self.parse_figure()
        if tok.type == "glued":
            raise self.error(f"{tok.text!r} is not a number; put a space after the number")
        raise self.error(f"expected a number or a figure; {_FIGURE_HINT}")

    def parse_figure(self) -> Figure:
        start = self.tok
        parts = [self._part()]
        while self.at_punct(".") and self.tokens[self.i + 1].type in (
                "word", "number", "glued", "backtick"):
            self.take()
            parts.append(self._part())
        name = ".".join(parts)
        if name.lower() in ("and", "or", "not"):
            raise self.error(f"expected a figure, found {name!r}", start)
        if not _known(name):
            raise self.error(f"unknown figure {name!r}; {_FIGURE_HINT}", start)
        return Figure(name)

    def _part(self) -> str:
        tok = self.take()
        if tok.type == "backtick":
            return tok.text[1:-1]
        if tok.type == "word" and any(c in tok.text for c in "-/:"):
            raise self.error(f"{tok.text!r}: put spaces around - and / (a name with such "
                             "characters goes in backticks: drift.psi.`my-col`)", tok)
        return tok.text


def parse_rule(text: str) -> Rule:
    """Parse a monitor rule such as ``"drift.share >= 0.5 or f1 < baseline.f1 - 0.05"``.

    Raises
    ------
    FilterSyntaxError
        With the position of the offending token.
    """
    if not isinstance(text, str) or not text.strip():
        raise FilterSyntaxError("a rule needs at least one comparison, e.g. "
                                "drift.share >= 0.5", str(text or ""), 0, "monitor rule")
    return _RuleParser(text).parse_whole()


def figures(rule: Rule | Term) -> set[str]:
    """Every figure a rule reads."""
    if isinstance(rule, Figure):
        return {rule.name}
    if isinstance(rule, Number):
        return set()
    if isinstance(rule, Arithmetic):
        return figures(rule.left) | figures(rule.right)
    if isinstance(rule, Test):
        return figures(rule.left) | figures(rule.right)
    return set().union(*(figures(item) for item in rule.items))


def _value(term: Term, values: Mapping[str, float]) -> float | None:
    if isinstance(term, Number):
        return term.value
    if isinstance(term, Figure):
        found = values.get(term.name)
        return None if found is None or math.isnan(found) else float(found)
    left, right = _value(term.left, values), _value(term.right, values)
    if left is None or right is None or (term.op == "/" and right == 0):
        return None
    return _ARITHMETIC[term.op](left, right)


def evaluate(rule: Rule, values: Mapping[str, float]) -> bool:
    """Whether the rule holds for ``values`` (figure name → number; absent or NaN figures
    make their comparisons false)."""
    if isinstance(rule, Test):
        left, right = _value(rule.left, values), _value(rule.right, values)
        return left is not None and right is not None and _COMPARE[rule.op](left, right)
    results = (evaluate(item, values) for item in rule.items)
    return any(results) if rule.op == "OR" else all(results)


def _text(term: Term) -> str:
    if isinstance(term, Number):
        return f"{term.value:g}"
    if isinstance(term, Figure):
        return term.name
    return f"({_text(term.left)} {term.op} {_text(term.right)})"


def explain(rule: Rule, values: Mapping[str, float]) -> list[str]:
    """One line per comparison: the comparison, the numbers it compared, and its answer."""
    if isinstance(rule, Either):
        return [line for item in rule.items for line in explain(item, values)]
    left, right = _value(rule.left, values), _value(rule.right, values)
    shown = f"{_text(rule.left)} {rule.op} {_text(rule.right)}"
    if left is None or right is None:
        absent = sorted(f for f in figures(rule) if values.get(f) is None
                        or math.isnan(values[f]))
        return [f"{shown}: false ({', '.join(absent) or 'a division by 0'} not known)"]
    return [f"{shown}: {left:.4g} {rule.op} {right:.4g} is "
            f"{'true' if evaluate(rule, values) else 'false'}"]
