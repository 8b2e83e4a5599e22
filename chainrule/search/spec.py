"""The command line's search spaces: ``"hidden=[32,64];lr=loguniform(1e-4,1e-1)"``.

A small tokenizer and recursive-descent parser (no ``eval``). The grammar::

    space  := item (";" item)* [";"]
    item   := NAME "=" value
    value  := NAME "(" [value ("," value)*] ")"     a distribution (random search)
            | "[" [value ("," value)*] "]"            a list: a grid's values, or a choice
            | "(" [value ("," value)*] ")"            a tuple: one value, e.g. (64,32)
            | NUMBER | STRING | NAME                  1e-3, -2, 'a b', relu, true, none

Distributions (random search only): ``uniform(a,b)``, ``loguniform(a,b)`` (also
``log_uniform``), ``integer(a,b)`` (also ``int``, ``randint``; both ends included),
``choice(v1,v2,...)`` (or ``choice([v1,v2,...])``). A bare word is a string, except
``true``/``false``/``none``. Errors name the item and show where in it the fault is.

Example::

    >>> parse_space("hidden=[32,(64,32)];lr=[0.01,0.1];act=relu", "grid")
    {'hidden': [32, (64, 32)], 'lr': [0.01, 0.1], 'act': 'relu'}
    >>> parse_space("lr=loguniform(1e-4,1e-1);hidden=choice(32,64)", "random")
    {'lr': log_uniform(0.0001, 0.1), 'hidden': choice([32, 64])}
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chainrule.search.space import choice, integer, log_uniform, uniform

__all__ = ["parse_space", "SpecError", "DISTRIBUTIONS", "KINDS"]

KINDS = ("grid", "random")


class SpecError(ValueError):
    """A search space that does not parse; the message names the part at fault."""


def _two_numbers(name: str, make: Callable[[Any, Any], Any]) -> Callable[[list[Any]], Any]:
    def build(args: list[Any]) -> Any:
        if len(args) != 2:
            raise SpecError(f"{name}(low, high) takes 2 numbers, got {len(args)}")
        return make(args[0], args[1])

    return build


def _choice(args: list[Any]) -> Any:
    if len(args) == 1 and isinstance(args[0], list):  # choice([a, b])
        args = args[0]
    return choice(args)


# name in the spec -> builder from the parsed arguments
DISTRIBUTIONS: dict[str, Callable[[list[Any]], Any]] = {
    "uniform": _two_numbers("uniform", uniform),
    "loguniform": _two_numbers("loguniform", log_uniform),
    "log_uniform": _two_numbers("log_uniform", log_uniform),
    "integer": _two_numbers("integer", integer),
    "int": _two_numbers("int", integer),
    "randint": _two_numbers("randint", integer),
    "choice": _choice,
}

WORDS = {"true": True, "false": False, "none": None, "null": None}

TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<name>[A-Za-z_][\w.\-]*)
  | (?P<punct>[\[\](),=;])
    """,
    re.VERBOSE,
)


@dataclass
class _Token:
    kind: str
    text: str
    start: int


def _tokens(text: str) -> list[_Token]:
    tokens = []
    position = 0
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None:
            word = re.match(r"[^\s\[\](),=;]+", text[position:])
            if text[position] in "+-.0123456789" and word:
                raise SpecError(_point(text, position, f"malformed number {word.group()!r}"))
            raise SpecError(_point(text, position, f"unexpected character {text[position]!r}"))
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(_Token(kind, match.group(), position))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _point(text: str, position: int, message: str) -> str:
    """The message, the text, and a caret under ``position``."""
    return f"{message}\n  {text}\n  {' ' * position}^"


class _Parser:
    def __init__(self, text: str, kind: str) -> None:
        self.text = text
        self.kind = kind
        self.tokens = _tokens(text)
        self.index = 0
        self.item = ""  # the name being parsed, for messages

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def error(self, message: str, token: _Token | None = None) -> SpecError:
        token = token or self.peek()
        where = f"in {self.item!r}: " if self.item else ""
        return SpecError(_point(self.text, token.start, where + message))

    def expect(self, text: str) -> _Token:
        token = self.peek()
        if token.text != text or token.kind not in ("punct",):
            found = "the end" if token.kind == "end" else repr(token.text)
            raise self.error(f"expected {text!r}, found {found}")
        self.index += 1
        return token

    def space(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while self.peek().kind != "end":
            name_token = self.peek()
            if name_token.kind != "name":
                raise self.error(
                    "expected a hyperparameter name (like lr=...), found "
                    + ("the end" if name_token.kind == "end" else repr(name_token.text))
                )
            self.index += 1
            self.item = name_token.text
            if self.item in result:
                raise self.error(f"{self.item!r} is given twice", name_token)
            self.expect("=")
            result[self.item] = self.value(top=True)
            if self.peek().kind != "end":
                self.expect(";")
            self.item = ""
        if not result:
            raise SpecError(_point(self.text, 0, "the search space is empty; e.g. lr=[0.01,0.1]"))
        return result

    def sequence(self, close: str) -> list[Any]:
        items: list[Any] = []
        if self.peek().text == close:
            self.index += 1
            return items
        while True:
            items.append(self.value())
            token = self.peek()
            if token.text == close and token.kind == "punct":
                self.index += 1
                return items
            if not (token.text == "," and token.kind == "punct"):
                found = "the end" if token.kind == "end" else repr(token.text)
                raise self.error(f"expected ',' or {close!r}, found {found}")
            self.index += 1

    def value(self, top: bool = False) -> Any:
        token = self.peek()
        self.index += 1
        if token.kind == "number":
            number = float(token.text)
            is_int = re.fullmatch(r"[-+]?\d+", token.text) is not None
            return int(token.text) if is_int else number
        if token.kind == "string":
            return token.text[1:-1]
        if token.kind == "name":
            if self.peek().text == "(" and self.peek().kind == "punct":
                return self.distribution(token, top)
            return WORDS.get(token.text.lower(), token.text)
        if token.text == "[":
            return self.sequence("]")
        if token.text == "(":
            return tuple(self.sequence(")"))
        found = "the end" if token.kind == "end" else repr(token.text)
        raise self.error(f"expected a value, found {found}", token)

    def distribution(self, token: _Token, top: bool) -> Any:
        name = token.text.lower()
        if name not in DISTRIBUTIONS:
            raise self.error(
                f"unknown distribution {token.text!r}; the distributions are "
                f"{', '.join(DISTRIBUTIONS)}",
                token,
            )
        if not top:
            raise self.error(f"{token.text}(...) cannot be inside a list or a tuple", token)
        if self.kind == "grid":
            raise self.error(
                f"{token.text}(...) is a distribution, for random search (--random N); "
                "a grid takes a list of values like [0.01,0.1]",
                token,
            )
        self.expect("(")
        args = self.sequence(")")
        try:
            return DISTRIBUTIONS[name](args)
        except (TypeError, ValueError) as error:
            raise self.error(str(error), token) from None


def parse_space(text: str, kind: str = "grid") -> dict[str, Any]:
    """Parse a search space written as ``name=value;name=value``.

    Args:
        text: the space (see the module docstring for the syntax).
        kind: "grid" (lists of values; distributions refused) or "random"
            (distributions; a list is a choice).

    Returns:
        the space as ``grid_search`` / ``random_search`` take it.

    Raises:
        SpecError: a ValueError whose message names the item and points at the fault.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if not isinstance(text, str):
        raise TypeError(f"the search space must be a string, got {type(text).__name__}")
    return _Parser(text, kind).space()
