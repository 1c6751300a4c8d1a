"""A SOQL subset parser: enough for incremental queries, relationship fields and paging.

``parse(text, fractional_datetimes=False) -> Query`` or raises :class:`SoqlError` carrying Salesforce's
error code (MALFORMED_QUERY) and a message in its ``ERROR at Row:1:Column:N`` form. Field and object
names are resolved later (query.py), which raises INVALID_FIELD / INVALID_TYPE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sandbox.salesforce.timefmt import DATE_LITERAL, DATETIME_LITERAL


class SoqlError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Literal:
    kind: str                  # string number bool null datetime date relative
    value: object
    pos: int = 0


@dataclass(frozen=True)
class FieldRef:
    path: tuple[str, ...]
    pos: int = 0

    @property
    def text(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Compare:
    field: FieldRef
    op: str                    # = != < <= > >= LIKE IN NOT IN
    value: Literal | tuple[Literal, ...]


@dataclass(frozen=True)
class BoolOp:
    op: str                    # AND OR
    parts: tuple[Cond, ...]


@dataclass(frozen=True)
class Not:
    part: Cond


Cond = Compare | BoolOp | Not


@dataclass(frozen=True)
class Order:
    field: FieldRef
    descending: bool = False
    nulls_last: bool = False


@dataclass
class Query:
    fields: list[FieldRef]
    sobject: str
    sobject_pos: int
    count_only: bool = False
    where: Cond | None = None
    order: list[Order] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<relative>(?i:(?:LAST_N_DAYS|NEXT_N_DAYS|N_DAYS_AGO):\d+|TODAY|YESTERDAY|TOMORROW)(?![A-Za-z0-9_.:]))
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>[+-]?\d+(?:\.\d+)?)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
""", re.VERBOSE)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\",
            "%": "\\%", "_": "\\_"}
_KEYWORDS = frozenset({"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "ASC",
                       "DESC", "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET", "NULL", "TRUE", "FALSE",
                       "COUNT"})


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "name" else self.text


def _unescape(body: str, pos: int, text: str) -> str:
    out, i = [], 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            nxt = body[i + 1]
            if nxt not in _ESCAPES:
                message = f"Illegal character sequence '\\{nxt}' in string literal."
                raise SoqlError("MALFORMED_QUERY", _located(text, pos + i + 1, message))
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _located(text: str, pos: int, message: str) -> str:
    return f"\n{text}\n{' ' * pos}^\nERROR at Row:1:Column:{pos + 1}\n{message}"


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise SoqlError("MALFORMED_QUERY", _located(text, pos, f"unexpected token: '{text[pos]}'"))
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, fractional_datetimes: bool) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.fractional = fractional_datetimes

    def error(self, token: Token | None, message: str | None = None) -> SoqlError:
        if token is None:
            return SoqlError("MALFORMED_QUERY", _located(self.text, len(self.text), "unexpected token: <EOF>"))
        return SoqlError("MALFORMED_QUERY", _located(self.text, token.pos,
                                                     message or f"unexpected token: '{token.text}'"))

    def peek(self, offset: int = 0) -> Token | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise self.error(None)
        self.i += 1
        return token

    def at(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.upper in words

    def expect(self, word: str) -> Token:
        token = self.next()
        if token.upper != word:
            raise self.error(token)
        return token

    def name(self) -> Token:
        token = self.next()
        if token.kind != "name" or token.upper in _KEYWORDS - {"FIRST", "LAST"}:
            raise self.error(token)
        return token

    def parse(self) -> Query:
        self.expect("SELECT")
        fields: list[FieldRef] = []
        count_only = False
        if self.at("COUNT") and (nxt := self.peek(1)) is not None and nxt.text == "(":
            self.i += 2
            self.expect(")")
            count_only = True
        else:
            while True:
                token = self.name()
                fields.append(FieldRef(tuple(token.text.split(".")), token.pos))
                if not self.at(","):
                    break
                self.i += 1
        self.expect("FROM")
        sobject = self.name()
        if "." in sobject.text:
            raise self.error(sobject)
        query = Query(fields, sobject.text, sobject.pos, count_only)
        if self.at("WHERE"):
            self.i += 1
            query.where = self.condition()
        if self.at("ORDER"):
            self.i += 1
            self.expect("BY")
            query.order = self.orders()
        if self.at("LIMIT"):
            self.i += 1
            query.limit = self.integer()
        if self.at("OFFSET"):
            self.i += 1
            query.offset = self.integer()
        if self.peek() is not None:
            raise self.error(self.peek())
        seen: set[str] = set()
        for ref in fields:
            key = ref.text.lower()
            if key in seen:
                raise SoqlError("MALFORMED_QUERY", f"duplicate field selected: {ref.text}")
            seen.add(key)
        return query

    def integer(self) -> int:
        token = self.next()
        if token.kind != "number" or not token.text.isdigit():
            raise self.error(token)
        return int(token.text)

    def orders(self) -> list[Order]:
        orders = []
        while True:
            token = self.name()
            descending = False
            if self.at("ASC", "DESC"):
                descending = self.next().upper == "DESC"
            nulls_last = descending
            if self.at("NULLS"):
                self.i += 1
                word = self.next()
                if word.upper not in ("FIRST", "LAST"):
                    raise self.error(word)
                nulls_last = word.upper == "LAST"
            orders.append(Order(FieldRef(tuple(token.text.split(".")), token.pos), descending, nulls_last))
            if not self.at(","):
                return orders
            self.i += 1

    def condition(self) -> Cond:
        first = self.unary()
        if not self.at("AND", "OR"):
            return first
        op = self.next().upper
        parts = [first, self.unary()]
        while self.at("AND", "OR"):
            token = self.next()
            if token.upper != op:        # SOQL refuses mixing AND and OR without parentheses
                raise self.error(token)
            parts.append(self.unary())
        return BoolOp(op, tuple(parts))

    def unary(self) -> Cond:
        if self.at("NOT"):
            self.i += 1
            return Not(self.unary())
        if self.at("("):
            self.i += 1
            inner = self.condition()
            self.expect(")")
            return inner
        return self.comparison()

    def comparison(self) -> Cond:
        token = self.name()
        ref = FieldRef(tuple(token.text.split(".")), token.pos)
        op_token = self.next()
        if op_token.kind == "op":
            op = "!=" if op_token.text == "<>" else op_token.text
            return Compare(ref, op, self.literal())
        word = op_token.upper
        if word == "LIKE":
            value = self.literal()
            if value.kind != "string":
                raise self.error(self.tokens[self.i - 1])
            return Compare(ref, "LIKE", value)
        if word == "NOT" and self.at("IN"):
            self.i += 1
            return Compare(ref, "NOT IN", self.literal_list())
        if word == "IN":
            return Compare(ref, "IN", self.literal_list())
        raise self.error(op_token)

    def literal_list(self) -> tuple[Literal, ...]:
        self.expect("(")
        values = [self.literal()]
        while self.at(","):
            self.i += 1
            values.append(self.literal())
        self.expect(")")
        return tuple(values)

    def literal(self) -> Literal:
        token = self.next()
        if token.kind == "string":
            return Literal("string", _unescape(token.text[1:-1], token.pos + 1, self.text), token.pos)
        if token.kind == "number":
            return Literal("number", float(token.text) if "." in token.text else int(token.text), token.pos)
        if token.kind == "datetime":
            if "." in token.text and not self.fractional:
                raise self.error(token, f"line 1:{token.pos} no viable alternative at character '.'")
            if not DATETIME_LITERAL.fullmatch(token.text):
                raise self.error(token)
            return Literal("datetime", token.text, token.pos)
        if token.kind == "date" and DATE_LITERAL.fullmatch(token.text):
            return Literal("date", token.text, token.pos)
        if token.kind == "relative":
            word, _, days = token.text.upper().partition(":")
            return Literal("relative", (word, int(days or 0)), token.pos)
        if token.upper in ("TRUE", "FALSE"):
            return Literal("bool", token.upper == "TRUE", token.pos)
        if token.upper == "NULL":
            return Literal("null", None, token.pos)
        raise self.error(token)


def parse(text: str, *, fractional_datetimes: bool = False) -> Query:
    if not text.strip():
        raise SoqlError("MALFORMED_QUERY", "unexpected token: <EOF>")
    return _Parser(text, fractional_datetimes).parse()
