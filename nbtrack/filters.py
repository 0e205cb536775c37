"""MLflow's run filter language, parsed into a small syntax tree.

The grammar (a superset of MLflow's, which has only ``and``)::

    expr       := conjunct ("or" conjunct)*
    conjunct   := atom ("and" atom)*
    atom       := "(" expr ")" | comparison
    comparison := ident op literal | ident ["not"] "in" "(" literal ("," literal)* ")"
                | ident "is" ["not"] "null"
    ident      := [kind "."] key        kind: metrics params tags attributes (and singulars)
    op         := = == != <> < <= > >= like ilike "not like" "not ilike"

Keys with special characters are quoted with backticks or double quotes
(``metrics.`val-acc```), and so may the kind be (```metrics`.acc``). String
literals use single or double quotes and, as in MLflow, keep every character
between them (a backslash is a backslash). Times are seconds since the epoch; a
number of 10^11 or more is read as milliseconds, the unit MLflow filters use.
The tree is turned into parameterised SQL by the store; nothing is ever evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence, Union

from .filter_tokens import BooleanParser
from .filter_tokens import Token as _Token

__all__ = ["Comparison", "BoolOp", "Node", "OrderKey", "parse_filter", "parse_order_by",
           "ATTRIBUTES", "by_cell", "by_ids", "by_parent", "all_of", "as_node"]

#: Attribute names a filter may use, mapped to their canonical names.
ATTRIBUTES = {
    "run_id": "run_id", "id": "run_id",
    "name": "name", "run_name": "name", "run name": "name",
    "status": "status",
    "start_time": "start_time", "created": "start_time", "end_time": "end_time",
    "duration": "duration",
    "experiment": "experiment", "experiment_name": "experiment",
    "cell_id": "cell_id", "parent_run_id": "parent_run_id",
}
_KINDS = {
    "metrics": "metrics", "metric": "metrics",
    "params": "params", "param": "params", "parameters": "params", "parameter": "params",
    "tags": "tags", "tag": "tags",
    "attributes": "attributes", "attribute": "attributes", "attr": "attributes",
    "run": "attributes",
}
_TEXT_ATTRIBUTES = {"run_id", "name", "status", "experiment", "cell_id", "parent_run_id"}
_TIME_ATTRIBUTES = {"start_time", "end_time"}
_RANGE_OPS = {"<", "<=", ">", ">="}
_PATTERN_OPS = {"LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE"}
#: A time literal this large is in milliseconds (in seconds it would be the year 5138).
_MILLISECONDS_FROM = 1e11
_OPS = {"=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">",
        ">=": ">=", "like": "LIKE", "ilike": "ILIKE", "not like": "NOT LIKE",
        "not ilike": "NOT ILIKE", "in": "IN", "not in": "NOT IN",
        "is null": "IS NULL", "is not null": "IS NOT NULL"}

Literal = Union[str, float, int]


@dataclass(frozen=True)
class Comparison:
    """One test on a run field.

    Parameters
    ----------
    kind : str
        ``metrics``, ``params``, ``tags`` or ``attributes``.
    key : str
        Field name (for attributes, the canonical attribute name).
    op : str
        SQL-style operator (``=``, ``!=``, ``<``, ..., ``LIKE``, ``IN``, ``IS NULL``).
    value : literal or tuple of literals or None
    """

    kind: str
    key: str
    op: str
    value: Literal | tuple[Literal, ...] | None


@dataclass(frozen=True)
class BoolOp:
    """``and`` / ``or`` over two or more sub-expressions."""

    op: str
    items: tuple[Node, ...]


Node = Union[Comparison, BoolOp]


@dataclass(frozen=True)
class OrderKey:
    """One ``ORDER BY`` term: a field and a direction."""

    kind: str
    key: str
    descending: bool = False


class _Parser(BooleanParser[Node]):
    NOT_HINT = "NOT before a condition is not supported; use !=, NOT IN, NOT LIKE or IS NULL"

    def combine(self, op: str, items: tuple[Node, ...]) -> Node:
        return BoolOp(op, items)

    def parse_ident(self) -> tuple[str, str]:
        tok = self.tok
        if tok.type not in ("word", "backtick"):
            raise self.error("expected a field such as metrics.acc or params.model")
        if self.word_is("and", "or"):
            raise self.error(f"expected a field such as metrics.acc after "
                             f"{self.tokens[self.i - 1].text!r}, found {tok.text!r}"
                             if self.i else f"expected a field, found {tok.text!r}")
        name = self.take().text if tok.type == "word" else _unquote(self.take().text)
        if not self.at_punct("."):
            return "attributes", self.attribute(name, tok)
        kind = _KINDS.get(name.lower())
        if kind is None:
            raise self.error(f"unknown field kind {name!r}; use metrics., params., tags. "
                             "or attributes.", tok)
        self.take()
        key_tok = self.take()
        if key_tok.type in ("word", "number", "glued"):
            key = key_tok.text
            # dotted keys such as params.model.C are common for nested configs
            while self.at_punct(".") and self.tokens[self.i + 1].type in ("word", "number",
                                                                           "glued"):
                self.take()
                key += "." + self.take().text
        elif key_tok.type in ("backtick", "string"):
            key = _unquote(key_tok.text)
        else:
            raise self.error("expected a name after the dot", key_tok)
        if kind == "attributes":
            return kind, self.attribute(key, key_tok)
        return kind, key

    def attribute(self, name: str, tok: _Token) -> str:
        canonical = ATTRIBUTES.get(name.lower())
        if canonical is None:
            raise self.error(f"unknown attribute {name!r} (a logged value needs its kind: "
                             f"metrics.{name}, params.{name} or tags.{name})", tok)
        return canonical

    def parse_operator(self) -> str:
        tok = self.tok
        if tok.type == "op":
            self.take()
            return _OPS[tok.text]
        if tok.type == "word":
            words = [self.take().text.lower()]
            if words[0] in ("not", "is"):
                if self.word_is("not") and words[0] == "is":
                    words.append(self.take().text.lower())
                if self.tok.type == "word":
                    words.append(self.take().text.lower())
            op = _OPS.get(" ".join(words))
            if op is not None:
                return op
        raise self.error("expected an operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN)", tok)

    def parse_literal(self) -> Literal:
        tok = self.take()
        if tok.type == "string":
            return _unquote(tok.text)
        if tok.type == "number":
            text = tok.text.lower()
            if re.fullmatch(r"[-+]?\d+", text):
                return int(text)
            return float(text)
        if tok.type == "glued":
            raise self.error(f"{tok.text!r} is not a number; put a space after the number",
                             tok)
        raise self.error("expected a value: a number or a quoted string", tok)

    def parse_comparison(self) -> Comparison:
        kind, key = self.parse_ident()
        op_tok = self.tok
        op = self.parse_operator()
        if op in ("IS NULL", "IS NOT NULL"):
            return Comparison(kind, key, op, None)
        value_tok = self.tok
        value: Literal | tuple[Literal, ...]
        if op in ("IN", "NOT IN"):
            self.expect_punct("(")
            values = [self.parse_literal()]
            while self.at_punct(","):
                self.take()
                values.append(self.parse_literal())
            self.expect_punct(")")
            value = tuple(values)
        else:
            value = self.parse_literal()
        self.check_types(kind, key, op, value, op_tok, value_tok)
        if kind == "attributes" and key in _TIME_ATTRIBUTES:
            value = _seconds(value)
        return Comparison(kind, key, op, value)

    def check_types(self, kind: str, key: str, op: str, value: Literal | tuple[Literal, ...],
                    op_tok: _Token, value_tok: _Token) -> None:
        """Refuse a comparison whose value can never be of the field's type."""
        values = value if isinstance(value, tuple) else (value,)
        numbers = [v for v in values if not isinstance(v, str)]
        label = f"attribute {key}" if kind == "attributes" else f"{kind}.{key}"
        if op in _PATTERN_OPS and numbers:
            raise self.error(f"{op} needs a quoted pattern such as '%rf%'", value_tok)
        numeric = kind == "metrics" or (kind == "attributes" and key not in _TEXT_ATTRIBUTES)
        if numeric and op in _PATTERN_OPS:
            raise self.error(f"{label} is a number; LIKE works on params, tags and text "
                             "attributes", op_tok)
        if numeric and len(numbers) < len(values):
            unit = " (seconds since the epoch)" if key in _TIME_ATTRIBUTES else ""
            raise self.error(f"{label} is a number{unit}; compare it with a number, unquoted",
                             value_tok)
        text_only = kind == "tags" or (kind == "attributes" and not numeric)
        if text_only and op in _RANGE_OPS:
            raise self.error(f"{label} is text; compare it with =, !=, LIKE, ILIKE or IN",
                             op_tok)
        if text_only and numbers:
            raise self.error(f"{label} is text; quote the value ({label} = '{numbers[0]}')",
                             value_tok)


def _seconds(value: Literal | tuple[Literal, ...]) -> Literal | tuple[Literal, ...]:
    """A time literal in seconds (MLflow writes milliseconds; see the module's note)."""
    if isinstance(value, tuple):
        return tuple(_seconds(v) for v in value)  # type: ignore[misc]
    if isinstance(value, (int, float)) and abs(value) >= _MILLISECONDS_FROM:
        return value / 1000
    return value


def _unquote(text: str) -> str:
    """The characters between the quotes, exactly (MLflow unescapes nothing)."""
    return text[1:-1]


def parse_filter(text: str) -> Node | None:
    """Parse a filter string.

    Parameters
    ----------
    text : str
        E.g. ``"metrics.acc > 0.9 and params.model = 'rf'"``. Empty means no filter.

    Returns
    -------
    Node or None
        The syntax tree, or None for an empty filter.

    Raises
    ------
    FilterSyntaxError
        With the position of the offending token.
    """
    if text is None or not text.strip():
        return None
    return _Parser(text).parse_whole()


def by_cell(cell_id: str) -> Comparison:
    """The runs of one notebook cell."""
    return Comparison("attributes", "cell_id", "=", cell_id)


def by_ids(run_ids: Sequence[str]) -> Comparison:
    """The runs with these full ids (none at all for an empty list)."""
    ids = tuple(run_ids)
    return Comparison("attributes", "run_id", "IN", ids) if ids else \
        Comparison("attributes", "run_id", "=", "")


def by_parent(run_id: str) -> Comparison:
    """The runs recorded as children (e.g. reproductions) of ``run_id``."""
    return Comparison("attributes", "parent_run_id", "=", run_id)


def all_of(*nodes: Node | None) -> Node | None:
    """Every condition given (``None`` entries are no condition)."""
    present = tuple(n for n in nodes if n is not None)
    if not present:
        return None
    return present[0] if len(present) == 1 else BoolOp("AND", present)


def as_node(filter: str | Node | None) -> Node | None:
    """A filter given as text (parsed) or as a syntax tree (kept)."""
    if filter is None or isinstance(filter, (Comparison, BoolOp)):
        return filter
    return parse_filter(filter)


def parse_order_by(terms: str | list[str] | tuple[str, ...] | None) -> list[OrderKey]:
    """Parse ``order_by`` terms such as ``"metrics.acc DESC"``.

    Parameters
    ----------
    terms : str or list of str or None
        One term, a comma-separated string, or a list of terms.
    """
    if not terms:
        return []
    if isinstance(terms, str):
        terms = [terms]
    keys: list[OrderKey] = []
    for term in terms:
        for part in _split_commas(term):
            parser = _Parser(part, "order_by")
            start = parser.tok
            kind, key = parser.parse_ident()
            descending = False
            if parser.word_is("desc", "asc"):
                descending = parser.take().text.lower() == "desc"
            if parser.tok.type != "end":
                raise parser.error("expected ASC or DESC after the field")
            if any((k.kind, k.key) == (kind, key) for k in keys):
                raise parser.error(f"{kind}.{key} is listed twice; keep one direction", start)
            keys.append(OrderKey(kind, key, descending))
    return keys


def _split_commas(term: str) -> list[str]:
    parts, depth, current, quote = [], 0, "", ""
    for char in term:
        if quote:
            quote = "" if char == quote else quote
        elif char in "`'\"":
            quote = char
        elif char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
    parts.append(current)
    return [p for p in parts if p.strip()]
