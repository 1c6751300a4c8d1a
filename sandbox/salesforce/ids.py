"""Salesforce record ids: 18-character strings that encode (object type, org, row index).

An id is ``prefix(3) + org code(2) + "0" + base62 row index(9)`` (15 characters) plus Salesforce's
3-character case-safety suffix. Because the row index is zero-padded base62 in ASCII order, string
order of ids equals row order, and ids are never stored: a table row's index *is* its id.

Reference fields are stored as one integer, ``type_code << 40 | row``, with type codes assigned in
ascending prefix order, so comparing the integers compares the id strings.
"""

from __future__ import annotations

from dataclasses import dataclass

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_INDEX_WIDTH = 9
_ROW_BITS = 40
_ROW_MASK = (1 << _ROW_BITS) - 1
NULL_REF = -1

# Key prefixes of the emulated objects (CRM_APIS.md 2.8); order defines the type codes.
PREFIXES: dict[str, str] = {
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Organization": "00D",
    "Lead": "00Q",
    "Task": "00T",
    "Event": "00U",
    "CampaignMember": "00v",
    "Campaign": "701",
    "Job": "750",
}
_TYPES_BY_PREFIX = {prefix: name for name, prefix in PREFIXES.items()}
TYPE_CODES: dict[str, int] = {name: code for code, name in enumerate(sorted(PREFIXES, key=PREFIXES.__getitem__))}
TYPES_BY_CODE: dict[int, str] = {code: name for name, code in TYPE_CODES.items()}


def to_base62(number: int, width: int) -> str:
    chars = []
    while number:
        number, digit = divmod(number, 62)
        chars.append(BASE62[digit])
    text = "".join(reversed(chars)) or "0"
    if len(text) > width:
        raise ValueError(f"{number} does not fit in {width} base62 characters")
    return text.rjust(width, "0")


def from_base62(text: str) -> int:
    number = 0
    for char in text:
        number = number * 62 + BASE62.index(char)
    return number


def suffix(id15: str) -> str:
    """The 3-character case-safety suffix Salesforce appends to a 15-character id."""
    out = []
    for chunk in range(3):
        flags = 0
        for bit, char in enumerate(id15[chunk * 5:chunk * 5 + 5]):
            if "A" <= char <= "Z":
                flags |= 1 << bit
        out.append(_SUFFIX_CHARS[flags])
    return "".join(out)


@dataclass(frozen=True)
class IdCodec:
    """Ids of one org: its 2-character code is part of every id it issues."""

    org_code: str

    def make(self, sobject: str, row: int) -> str:
        id15 = f"{PREFIXES[sobject]}{self.org_code}0{to_base62(row, _INDEX_WIDTH)}"
        return id15 + suffix(id15)

    def parse(self, text: str) -> tuple[str, int] | None:
        """(object type, row) for an id of this org, or None when it is not one."""
        if len(text) not in (15, 18):
            return None
        id15 = text[:15]
        if len(text) == 18 and text[15:].upper() != suffix(id15).upper():
            return None
        sobject = _TYPES_BY_PREFIX.get(id15[:3])
        if sobject is None or id15[3:5] != self.org_code or id15[5] != "0":
            return None
        body = id15[6:]
        if any(char not in BASE62 for char in body):
            return None
        return sobject, from_base62(body)

    def row_of(self, sobject: str, text: str) -> int | None:
        parsed = self.parse(text)
        if parsed is None or parsed[0] != sobject:
            return None
        return parsed[1]

    def encode_ref(self, text: str) -> int | None:
        parsed = self.parse(text)
        return None if parsed is None else ref(parsed[0], parsed[1])

    def decode_ref(self, value: int) -> str | None:
        if value == NULL_REF:
            return None
        return self.make(TYPES_BY_CODE[value >> _ROW_BITS], value & _ROW_MASK)


def ref(sobject: str, row: int) -> int:
    return (TYPE_CODES[sobject] << _ROW_BITS) | row


def ref_type(value: int) -> str:
    return TYPES_BY_CODE[value >> _ROW_BITS]


def ref_row(value: int) -> int:
    return value & _ROW_MASK
