"""Cutting a filter, order_by or monitor rule text into tokens, and the ``and`` / ``or``
grammar with parentheses that run filters (:mod:`nbtrack.filters`) and monitor rules
(:mod:`nbtrack.monitoring.rule`) share."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Generic, TypeVar

from .errors import FilterSyntaxError

__all__ = ["Token", "tokenize", "TokenCursor", "BooleanParser"]

N = TypeVar("N")

_PARTS = r"""
    (?P<ws>\s+)
  | (?P<number>[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?
                     |inf(?:inity)?|nan)(?![\w.]))
  | (?P<glued>[-+]?\.?\d[\w.]*)
  | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*")
  | (?P<backtick>`[^`]*`)
  | (?P<op><=|>=|!=|<>|==|=|<|>)
  | (?P<punct>[(),.])
  | (?P<word>[^\W\d][\w\-:/]*)
    """
TOKEN = re.compile(_PARTS, re.VERBOSE | re.IGNORECASE)
#: Rules also have arithmetic: a sign or operator that no other token starts with.
ARITHMETIC_TOKEN = re.compile(_PARTS + r"| (?P<arith>[-+*/])", re.VERBOSE | re.IGNORECASE)


@dataclass
class Token:
    """One token: its kind (``number``, ``string``, ``word``, ...), text and position."""

    type: str
    text: str
    pos: int


def tokenize(text: str, subject: str, arithmetic: bool = False) -> list[Token]:
    """The tokens of ``text`` (whitespace dropped), ending with an ``end`` token; with
    ``arithmetic``, ``+ - * /`` standing alone are ``arith`` tokens."""
    pattern = ARITHMETIC_TOKEN if arithmetic else TOKEN
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = pattern.match(text, pos)
        if match is None:
            what = f"unterminated {text[pos]}...{text[pos]} string: close the quote" \
                if text[pos] in "'\"`" else f"unexpected character {text[pos]!r}"
            raise FilterSyntaxError(what, text, pos, subject)
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class TokenCursor:
    """A position in the tokens of ``text``; errors point at the current token."""

    def __init__(self, text: str, subject: str = "filter", arithmetic: bool = False) -> None:
        self.text = text
        self.subject = subject
        self.tokens = tokenize(text, subject, arithmetic)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def error(self, message: str, tok: Token | None = None) -> FilterSyntaxError:
        return FilterSyntaxError(message, self.text, (tok or self.tok).pos, self.subject)

    def take(self) -> Token:
        tok = self.tok
        self.i += 1
        return tok

    def word_is(self, *words: str) -> bool:
        return self.tok.type == "word" and self.tok.text.lower() in words

    def at_punct(self, char: str) -> bool:
        return self.tok.type == "punct" and self.tok.text == char

    def expect_punct(self, char: str) -> None:
        if not self.at_punct(char):
            raise self.error(f"expected {char!r}")
        self.i += 1


class BooleanParser(TokenCursor, Generic[N]):
    """``expr := conjunct ("or" conjunct)*``, ``conjunct := atom ("and" atom)*``,
    ``atom := "(" expr ")" | comparison``; subclasses parse a comparison and join terms."""

    #: What to say about ``not`` before a condition.
    NOT_HINT = "NOT before a condition is not supported"

    def parse_whole(self) -> N:
        """The whole text as one condition; an error if anything follows it."""
        node = self.parse_expr()
        if self.tok.type != "end":
            raise self.error("unexpected text after a complete condition (join conditions "
                             "with 'and' / 'or')")
        return node

    def parse_expr(self) -> N:
        items = [self.parse_conjunct()]
        while self.word_is("or"):
            self.take()
            items.append(self.parse_conjunct())
        return items[0] if len(items) == 1 else self.combine("OR", tuple(items))

    def parse_conjunct(self) -> N:
        items = [self.parse_atom()]
        while self.word_is("and"):
            self.take()
            items.append(self.parse_atom())
        return items[0] if len(items) == 1 else self.combine("AND", tuple(items))

    def parse_atom(self) -> N:
        if self.at_punct("("):
            self.take()
            node = self.parse_expr()
            self.expect_punct(")")
            return node
        if self.word_is("not"):
            raise self.error(self.NOT_HINT)
        return self.parse_comparison()

    def parse_comparison(self) -> N:
        raise NotImplementedError

    def combine(self, op: str, items: tuple[N, ...]) -> N:
        raise NotImplementedError
