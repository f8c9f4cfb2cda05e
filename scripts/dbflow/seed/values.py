"""Column values as pure functions of (seed, table, row, column).

Each row gets one 64-byte BLAKE2b digest of ``seed:schema.table:row``; each column takes its
own 32-bit slice of it. The same seed gives byte-identical data on every run and machine,
and a table's values depend on nothing but its own name and row numbers, so adding a table
or changing another table's count changes none of them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import struct
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from psycopg.types.json import Jsonb

from dbflow.catalog.model import Column
from dbflow.errors import DbflowError
from dbflow.seed import words
from dbflow.seed.checks import ColumnRule

EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
Producer = Callable[[int, int], Any]  # (row number, 32-bit hash) -> value

_INT_RANGES = {
    "int2": (-32768, 32767),
    "int4": (-(2**31), 2**31 - 1),
    "int8": (-(2**63), 2**63 - 1),
}
_UNICODE_SAMPLE = "Zoë Ünïcødé ñandú 東京 שלום 😀"


def row_digest(seed: int, table: str, row: int) -> bytes:
    return hashlib.blake2b(f"{seed}:{table}:{row}".encode(), digest_size=64).digest()


_SIXTEEN_WORDS = struct.Struct(">16I")


def column_hash(digest: bytes, position: int) -> int:
    if position < 16:
        return int.from_bytes(digest[position * 4 : position * 4 + 4], "big")
    extra = hashlib.blake2b(digest + position.to_bytes(2, "big"), digest_size=4).digest()
    return int.from_bytes(extra, "big")


def column_hashes(digest: bytes, positions: int) -> tuple[int, ...]:
    """Every column's 32-bit hash of one row at once (the same values column_hash gives)."""
    words = _SIXTEEN_WORDS.unpack(digest)
    if positions <= 16:
        return words
    return words + tuple(column_hash(digest, position) for position in range(16, positions))


def row_uuid(seed: int, table: str, row: int) -> uuid.UUID:
    """The primary key of generated row ``row`` of ``table`` (children compute it too)."""
    digest = hashlib.blake2b(f"{seed}:{table}:{row}:key".encode(), digest_size=16).digest()
    return uuid.UUID(bytes=digest, version=4)


class UnknownType(DbflowError):
    pass


def _pick(options: tuple[str, ...] | list[Any], h: int) -> Any:
    return options[h % len(options)]


def _fit(text: str, limit: int, minimum: int, rule: ColumnRule, row: int, unique: bool) -> str:
    """Respect length limits; unique values keep their row number when cut."""
    if not unique and minimum <= len(text) <= limit:
        return text
    if unique:
        suffix = f"-{row}" if rule.alphabet is None or "-" in rule.alphabet else str(row)
        text = text[: max(0, limit - len(suffix))] + suffix
    text = text[:limit]
    if len(text) < minimum:
        filler = (rule.alphabet or "x")[0]
        text = text + filler * (minimum - len(text))
    return text


def _from_alphabet(alphabet: str, h: int, length: int, row: int, unique: bool) -> str:
    characters = []
    value = h if not unique else row * 2654435761 + h % 97
    for _ in range(length):
        characters.append(alphabet[value % len(alphabet)])
        value //= len(alphabet)
        if value == 0:
            value = h * 31 + length
    return "".join(characters)


def text_producer(
    column: Column, rule: ColumnRule, unique: bool, table: str, realistic: bool
) -> Producer:
    name = column.name.lower()
    if rule.choices:
        choices = list(rule.choices)
        return lambda row, h: choices[h % len(choices)]
    if rule.alphabet:
        low = rule.min_length or 1
        high = rule.max_length or max(low, 12)
        exact = rule.exact_length
        alphabet = rule.alphabet
        allowed = set(alphabet)
        named = _named_text(name, table, realistic)
        upper = alphabet.isupper()

        def from_alphabet(row: int, h: int) -> str:
            # A realistic value when it already fits the pattern (slugs, currency codes).
            candidate = named(row, h)
            candidate = candidate.upper() if upper else candidate.lower()
            candidate = candidate.replace(" ", "-" if "-" in allowed else "")
            if unique and not candidate.endswith(str(row)):
                candidate = f"{candidate}-{row}" if "-" in allowed else f"{candidate}{row}"
            fits = set(candidate) <= allowed and low <= len(candidate) <= high
            if fits and (exact is None or len(candidate) == exact):
                return candidate
            length = exact or low + h % (high - low + 1)
            if unique:
                length = max(length, min(high, len(str(row)) + 3))
            return _from_alphabet(alphabet, h, length, row, unique)

        return from_alphabet
    base = _named_text(name, table, realistic)
    limit = min(x for x in (column.max_length, rule.max_length, 10**9) if x is not None)
    minimum = rule.min_length or 0
    return lambda row, h: _fit(base(row, h), limit, minimum, rule, row, unique)


def _named_text(name: str, table: str, realistic: bool) -> Callable[[int, int], str]:
    first, last = words.first_names(), words.last_names()
    if name == "email" or name.endswith("_email"):
        return lambda row, h: (
            f"{_pick(first, h).lower()}.{_pick(last, h >> 9).lower()}.{row}@example.com"
        )
    if name in ("name", "label", "title") and table in ("skills", "tags", "categories", "labels"):
        return lambda row, h: _pick(words.SKILLS, h)
    if name in ("full_name", "name", "display_name") and table.endswith(("users", "profiles")):
        return lambda row, h: f"{_pick(first, h)} {_pick(last, h >> 9)}"
    if name in ("full_name", "display_name", "author", "contact_name"):
        return lambda row, h: f"{_pick(first, h)} {_pick(last, h >> 9)}"
    if name in ("first_name", "given_name"):
        return lambda row, h: _pick(first, h)
    if name in ("last_name", "family_name", "surname"):
        return lambda row, h: _pick(last, h)
    if name in ("username", "handle", "login"):
        return lambda row, h: f"{_pick(first, h).lower()}{row}"
    if name == "slug" or name.endswith("_slug"):
        return lambda row, h: f"{_pick(words.words(), h)}-{_pick(words.words(), h >> 10)}-{row}"
    if name.endswith(("url", "website", "homepage")):
        if "avatar" in name or "image" in name or "photo" in name:
            return lambda row, h: f"https://images.example.com/avatars/{row}-{h % 1000}.png"
        return lambda row, h: f"https://www.example.com/{_pick(words.words(), h)}/{row}"
    if name in ("phone", "phone_number", "mobile") or name.endswith("_phone"):
        return lambda row, h: f"+1-555-01{h % 100:02d}"
    if name in ("city", "town"):
        return lambda row, h: _pick(words.cities(), h)
    if name in ("country", "country_name"):
        return lambda row, h: _pick(words.countries(), h)
    if name in ("currency", "currency_code") or name.endswith("_currency"):
        return lambda row, h: _pick(words.CURRENCIES, h)
    if name in ("status", "state"):
        return lambda row, h: _pick(words.STATUSES, h)
    if name in ("title", "headline", "job_title", "role_title"):
        return lambda row, h: _pick(words.jobs(), h)
    if name in ("name", "company", "company_name", "organization_name") or name.endswith("_name"):
        return lambda row, h: " ".join(
            _pick(words.company_words(), h >> shift).capitalize() for shift in (0, 8)
        )
    if name in ("bio", "description", "about", "summary", "body", "content", "notes", "note"):
        return lambda row, h: (
            " ".join(_pick(words.words(), h >> shift) for shift in range(0, 24, 2)).capitalize()
            + "."
        )
    if not realistic:
        return lambda row, h: f"{name} {row}"
    return lambda row, h: " ".join(_pick(words.words(), h >> shift) for shift in (0, 7, 14))


def number_producer(column: Column, rule: ColumnRule, unique: bool, offset: int) -> Producer:
    base = column.base_type
    low, high = _INT_RANGES.get(base, (-(2**31), 2**31 - 1))
    name = column.name.lower()
    default_low, default_high = 0, 1000
    if any(part in name for part in ("price", "amount", "total", "cost")):
        default_low, default_high = 1, 500
    elif "salary" in name:
        default_low, default_high = 30_000, 200_000
    elif "year" in name and "experience" not in name:
        default_low, default_high = 1990, 2025
    elif any(part in name for part in ("count", "quantity", "qty", "experience")):
        default_low, default_high = 0, 40
    minimum = rule.minimum if rule.minimum is not None else None
    maximum = rule.maximum if rule.maximum is not None else None
    lower = Decimal(default_low) if minimum is None else minimum
    upper = Decimal(default_high) if maximum is None else maximum
    if minimum is not None and maximum is None and upper < lower:
        upper = lower + 1000
    if maximum is not None and minimum is None and lower > upper:
        lower = upper - 1000
    if rule.exclusive_minimum:
        lower = lower + (1 if base in _INT_RANGES else Decimal("0.01"))
    if rule.exclusive_maximum:
        upper = upper - (1 if base in _INT_RANGES else Decimal("0.01"))
    if lower > upper:
        raise DbflowError(f"no value satisfies the range {lower}..{upper} of {column.name}")
    if rule.choices:
        choices = list(rule.choices)
        return lambda row, h: choices[h % len(choices)]
    if base in _INT_RANGES:
        if unique:
            return lambda row, h: offset + row + 1
        first, span = int(lower), int(upper) - int(lower) + 1
        first, span = max(first, low), min(span, high - first + 1)
        return lambda row, h: first + h % span
    scale = column.numeric_scale if column.numeric_scale is not None else 2
    quantum = Decimal(1).scaleb(-scale)
    span_units = int((upper - lower) / quantum) + 1

    def decimal_value(row: int, h: int) -> Any:
        value = (lower + quantum * (h % span_units)).quantize(quantum)
        if base in ("float4", "float8"):
            return float(value)
        return value

    if unique:
        return lambda row, h: (
            lower + quantum * (offset + row) if base == "numeric" else float(lower) + row
        )
    return decimal_value


def time_producer(column: Column, rule: ColumnRule) -> Producer:
    base = column.base_type
    name = column.name.lower()

    def moment(row: int, h: int) -> dt.datetime:
        seconds = h % (365 * 24 * 3600)
        if "birth" in name:
            seconds = h % (50 * 365 * 24 * 3600) + 18 * 365 * 24 * 3600
        return EPOCH - dt.timedelta(seconds=seconds)

    if base == "date":
        return lambda row, h: moment(row, h).date()
    if base == "timestamp":
        return lambda row, h: moment(row, h).replace(tzinfo=None)
    if base in ("time", "timetz"):
        return lambda row, h: dt.time(h % 24, (h >> 5) % 60)
    if base == "interval":
        return lambda row, h: dt.timedelta(minutes=h % 10_000)
    return moment


def json_producer(column: Column, rule: ColumnRule) -> Producer:
    name = column.name.lower()
    if rule.json_kind == "array" or "locations" in name or name.endswith("s"):
        if "location" in name or "cities" in name:
            return lambda row, h: Jsonb(
                [_pick(words.cities(), h >> shift) for shift in range(0, 3 * (h % 3), 3)]
            )
        if rule.json_kind == "array":
            return lambda row, h: Jsonb(
                [_pick(words.words(), h >> s) for s in range(0, 2 * (h % 3), 2)]
            )
    if rule.json_kind == "object" or rule.json_kind is None:
        return lambda row, h: Jsonb(
            {"source": "dbflow", "row": row, "tag": _pick(words.words(), h)}
        )
    kind = rule.json_kind
    samples = {"string": "text", "number": 1, "boolean": True, "null": None}
    return lambda row, h: Jsonb(samples.get(kind, {}))


def array_producer(column: Column, rule: ColumnRule) -> Producer:
    name = column.name.lower()
    base = column.base_type
    if base in ("text", "varchar"):
        pool = words.SKILLS if "skill" in name or "tag" in name else words.words()
        return lambda row, h: sorted(
            {_pick(pool, h >> shift) for shift in range(0, 4 * (1 + h % 4), 4)}
        )
    if base in _INT_RANGES:
        return lambda row, h: [h % 100, (h >> 8) % 100]
    if base == "uuid":
        return lambda row, h: [uuid.UUID(int=h << 64 | row, version=4)]
    raise UnknownType(f"arrays of {base} are not supported")


def scalar_producer(
    column: Column,
    rule: ColumnRule,
    *,
    unique: bool,
    table: str,
    realistic: bool,
    seed: int,
    offset: int = 0,
) -> Producer:
    """The producer for a column with no foreign key; UnknownType if its type is unknown."""
    base = column.base_type
    if column.is_array:
        return array_producer(column, rule)
    if column.enum_labels:
        labels = list(rule.choices or column.enum_labels)
        return lambda row, h: labels[h % len(labels)]
    if base in ("text", "varchar", "bpchar", "citext", "name"):
        return text_producer(column, rule, unique, table, realistic)
    if base in ("int2", "int4", "int8", "numeric", "float4", "float8", "money"):
        return number_producer(column, rule, unique, offset)
    if base in ("timestamptz", "timestamp", "date", "time", "timetz", "interval"):
        return time_producer(column, rule)
    if base == "bool":
        name = column.name.lower()
        if any(word in name for word in ("admin", "super", "banned", "blocked", "deleted")):
            return lambda row, h: False  # privileges and sanctions are given by hand, not by chance
        positive = any(word in name for word in ("active", "enabled", "public", "open", "visible"))
        return (lambda row, h: h % 8 != 0) if positive else (lambda row, h: h % 8 == 0)
    if base == "uuid":
        return lambda row, h: uuid.UUID(
            bytes=row_digest(seed, f"{table}.{column.name}", row)[:16], version=4
        )
    if base in ("jsonb", "json"):
        return json_producer(column, rule)
    if base == "inet":
        return lambda row, h: f"192.0.2.{h % 254 + 1}"
    if base == "bytea":
        return lambda row, h: h.to_bytes(4, "big")
    raise UnknownType(f"no generator for type {column.type_name}")


def edge_values(column: Column, rule: ColumnRule, variant: int) -> Any:
    """Boundary values for seed-test's edge-case rows, or ... when no edge applies."""
    base = column.base_type
    if variant == 0 and not column.not_null and not rule.not_null:
        return None
    if column.enum_labels and not rule.choices:
        return column.enum_labels[0] if variant == 0 else column.enum_labels[-1]
    if rule.choices:
        return rule.choices[0] if variant == 0 else rule.choices[-1]
    if base in ("text", "varchar", "bpchar") and not column.is_array and not rule.alphabet:
        limit = min(x for x in (column.max_length, rule.max_length, 200) if x is not None)
        minimum = rule.min_length or 0
        if variant == 0:
            return "" if minimum == 0 else "a" * minimum
        if variant == 1:
            return ("M" * limit)[:limit] if limit >= minimum else ...
        sample = _UNICODE_SAMPLE[:limit]
        return sample if len(sample) >= minimum else ...
    if base in _INT_RANGES or base == "numeric":
        if variant == 0 and rule.minimum is not None:
            return int(rule.minimum) if base in _INT_RANGES else rule.minimum
        if variant == 1 and rule.maximum is not None:
            return int(rule.maximum) if base in _INT_RANGES else rule.maximum
        if base in _INT_RANGES and rule.minimum is None and rule.maximum is None:
            return 0 if variant == 0 else _INT_RANGES[base][1] if variant == 1 else ...
    if base in ("jsonb", "json") and not column.is_array:
        if rule.json_kind in (None, "object") and variant == 0:
            return Jsonb({})
        if rule.json_kind == "array" and variant == 0:
            return Jsonb([])
    if column.is_array and variant == 0:
        return []
    return ...


def coerce_fixed(column: Column, text: str) -> Any:
    """A --fixed TABLE.COLUMN=VALUE string as the Python value binary COPY needs."""
    base = column.base_type
    if text.upper() == "NULL":
        return None
    if column.is_array:
        return [item.strip() for item in text.strip("{}").split(",") if item.strip()]
    if base in _INT_RANGES:
        return int(text)
    if base in ("numeric", "money"):
        return Decimal(text)
    if base in ("float4", "float8"):
        return float(text)
    if base == "bool":
        if text.lower() not in ("true", "false", "t", "f", "1", "0"):
            raise ValueError(text)
        return text.lower() in ("true", "t", "1")
    if base == "uuid":
        return uuid.UUID(text)
    if base in ("jsonb", "json"):
        return Jsonb(json.loads(text))
    if base in ("timestamptz", "timestamp"):
        return dt.datetime.fromisoformat(text)
    if base == "date":
        return dt.date.fromisoformat(text)
    return text
