"""Cutting a filter or order_by text into tokens (the parser in :mod:`nbtrack.filters`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import FilterSyntaxError

__all__ = ["Token", "tokenize"]

TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?
                     |inf(?:inity)?|nan)(?![\w.]))
  | (?P<glued>[-+]?\.?\d[\w.]*)
  | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*")
  | (?P<backtick>`[^`]*`)
  | (?P<op><=|>=|!=|<>|==|=|<|>)
  | (?P<punct>[(),.])
  | (?P<word>[^\W\d][\w\-:/]*)
    """,
    re.VERBOSE | re.IGNORECASE,
)


@dataclass
class Token:
    """One token: its kind (``number``, ``string``, ``word``, ...), text and position."""

    type: str
    text: str
    pos: int


def tokenize(text: str, subject: str) -> list[Token]:
    """The tokens of ``text`` (whitespace dropped), ending with an ``end`` token."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = TOKEN.match(text, pos)
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
