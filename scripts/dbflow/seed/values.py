"""Column values as pure functions of (seed, table, row, column).

Each row gets one 64-byte BLAKE2b digest of ``seed:schema.table:row``; each column takes its
own 32-bit slice of it. The same seed gives byte-identical data on every run and machine,
and a table's values depend on nothing but its own name and row numbers, so adding a table
or changing another table's count changes none of them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import struct
import uuid
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache

from psycopg.types.json import Jsonb

from dbflow.catalog.model import Column
from dbflow.errors import DbflowError
from dbflow.seed import regex, words
from dbflow.seed.aliases import Value
from dbflow.seed.checks import ColumnRule
from dbflow.seed.type_forms import is_range, range_producer, text_form, unseedable

EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
Producer = Callable[[int, int], Value]  # (row number, 32-bit hash) -> value

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
    return _mix(
        int.from_bytes(digest[(position % 16) * 4 : (position % 16) * 4 + 4], "big"), position
    )


def _mix(word: int, position: int) -> int:
    """A 32-bit hash for a column past the digest's sixteen words: the word of the same slot
    mixed with the position (murmur3's finaliser)."""
    h = (word ^ (position * 0x9E3779B1)) & 0xFFFFFFFF
    h = ((h ^ (h >> 16)) * 0x85EBCA6B) & 0xFFFFFFFF
    h = ((h ^ (h >> 13)) * 0xC2B2AE35) & 0xFFFFFFFF
    return h ^ (h >> 16)


def column_hashes(digest: bytes, positions: int) -> tuple[int, ...]:
    """Every column's 32-bit hash of one row at once (the same values column_hash gives)."""
    words = _SIXTEEN_WORDS.unpack(digest)
    if positions <= 16:
        return words
    return words + tuple(_mix(words[position % 16], position) for position in range(16, positions))


def row_uuid(seed: int, table: str, row: int) -> uuid.UUID:
    """The primary key of generated row ``row`` of ``table`` (children compute it too)."""
    digest = hashlib.blake2b(f"{seed}:{table}:{row}:key".encode(), digest_size=16).digest()
    return uuid.UUID(bytes=digest, version=4)


class UnknownType(DbflowError):
    pass


def _pick(options: tuple[str, ...] | list[Value], h: int) -> Value:
    return options[h % len(options)]


_CODE_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def short_code(row: int, width: int) -> str:
    """Row ``row`` as ``width`` letters (``AA``, ``AB``, ...): distinct for the first
    26**width rows, for unique columns too short to carry a row number (``char(2)``)."""
    letters = []
    for _ in range(width):
        row, digit = divmod(row, 26)
        letters.append(_CODE_LETTERS[digit])
    return "".join(reversed(letters))


def _fit(text: str, limit: int, minimum: int, rule: ColumnRule, row: int, unique: bool) -> str:
    """Respect length limits; unique values keep their row number when cut."""
    if not unique and minimum <= len(text) <= limit:
        return text
    if unique:
        suffix = f"-{row}"
        if limit < len(suffix) + 2:
            return short_code(row, max(limit, minimum, 1))
        text = text[: max(0, limit - len(suffix))] + suffix
    text = text[:limit]
    if len(text) < minimum:
        filler = "x"
        text = text + filler * (minimum - len(text))
    return text


def text_producer(
    column: Column, rule: ColumnRule, unique: bool, table: str, realistic: bool
) -> Producer:
    name = column.name.lower()
    base = _named_text(name, table, realistic)
    limit = min(x for x in (column.max_length, rule.max_length, 10**9) if x is not None)
    minimum = rule.min_length or 0
    if rule.patterns or rule.not_patterns:
        return _pattern_text(base, rule, unique, limit)
    return lambda row, h: _fit(base(row, h), limit, minimum, rule, row, unique)


def _pattern_text(
    named: Callable[[int, int], str], rule: ColumnRule, unique: bool, limit: int
) -> Producer:
    """Text matching every pattern of ``rule`` and none of its refused ones: the realistic
    value when it fits, else one built from the first pattern's structure."""
    wanted, refused = list(rule.patterns), list(rule.not_patterns)
    low, high = rule.min_length or 0, min(limit, rule.max_length or limit)
    case = rule.case

    def fits(text: str) -> bool:
        return (
            low <= len(text) <= high
            and all(regex.matches(text, pattern, ci) is not False for pattern, ci in wanted)
            and not any(regex.matches(text, pattern, ci) for pattern, ci in refused)
        )

    @lru_cache(maxsize=1 << 16)  # rows are built twice for unique keys (seed.keep, then COPY)
    def produce(row: int, h: int) -> str:
        candidate = named(row, h)
        if unique and not candidate.endswith(str(row)):
            candidate = f"{candidate}-{row}"
        slug = "-".join(candidate.lower().split())
        for option in (candidate, candidate.lower(), slug, slug.replace("-", "")):
            option = _cased(option, case)
            if fits(option):
                return option
        start = row * 7919 + (h & 0xFFFF) if unique else h
        if wanted:
            for attempt in range(6):
                text = regex.generate(wanted[0][0], start + attempt * 104729, (low, high))
                if text is None:
                    break
                text = _cased(text, case)
                if fits(text):
                    return text
        return _cased(candidate[:high], case)

    return produce


def _cased(text: str, case: str | None) -> str:
    if case == "lower":
        return text.lower()
    if case == "upper":
        return text.upper()
    return text


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


# What a number column's name says about its values: (words in the name, low, high, step).
_MEANINGS: tuple[tuple[tuple[str, ...], int, int, int], ...] = (
    (("experience",), 0, 25, 1),
    (("salary", "compensation", "income"), 30_000, 180_000, 1000),
    (("rating", "stars"), 1, 5, 1),
    (("percent", "percentage", "pct"), 0, 100, 1),
    (("latitude",), -60, 70, 1),
    (("longitude",), -150, 150, 1),
    (("price", "amount", "cost", "total", "fee", "budget"), 5, 500, 1),
    (("quantity", "qty", "stock", "seats", "capacity"), 1, 50, 1),
    (("count", "views", "likes", "votes"), 0, 500, 1),
    (("priority", "level"), 1, 5, 1),
    (("position", "sort_order", "rank", "ordinal", "sequence"), 0, 100, 1),
    (("duration", "minutes"), 5, 240, 5),
    (("score",), 0, 100, 1),
    (("weight",), 1, 100, 1),
)


def _meaning(name: str) -> tuple[int, int, int] | None:
    if name == "age" or name.endswith("_age") or name.startswith("age_"):
        return 18, 75, 1
    if "year" in name and "experience" not in name and "years" not in name:
        return 1990, 2025, 1
    for words_in_name, low, high, step in _MEANINGS:
        if any(word in name for word in words_in_name):
            return low, high, step
    return None


def number_producer(column: Column, rule: ColumnRule, unique: bool, offset: int) -> Producer:
    base = column.base_type
    low, high = _INT_RANGES.get(base, (-(2**31), 2**31 - 1))
    name = column.name.lower()
    meaning = _meaning(name)
    default_low, default_high, step = meaning or (0, 1000, 1)
    minimum = rule.minimum if rule.minimum is not None else None
    maximum = rule.maximum if rule.maximum is not None else None
    lower = Decimal(default_low) if minimum is None else max(minimum, Decimal(default_low))
    upper = Decimal(default_high) if maximum is None else min(maximum, Decimal(default_high))
    if lower > upper:  # the meaning and the CHECK disagree: the CHECK wins
        lower = Decimal(default_low) if minimum is None else minimum
        upper = Decimal(default_high) if maximum is None else maximum
        if upper < lower:
            upper = lower + 1000 if maximum is None else upper
            lower = upper - 1000 if minimum is None else lower
        step = 1
    if column.numeric_precision and base == "numeric":
        scale_digits = column.numeric_scale or 0
        widest = Decimal(10) ** (column.numeric_precision - scale_digits) - Decimal(1).scaleb(
            -scale_digits
        )
        upper, lower = min(upper, widest), max(lower, -widest)
        if lower > upper:
            lower = upper
    if rule.exclusive_minimum and lower == minimum:
        lower = lower + (1 if base in _INT_RANGES else Decimal("0.01"))
    if rule.exclusive_maximum and upper == maximum:
        upper = upper - (1 if base in _INT_RANGES else Decimal("0.01"))
    if lower > upper and minimum is None:  # ``x < 0``: below the bound, not the default range
        lower = upper - (default_high - default_low)
    elif lower > upper and maximum is None:
        upper = lower + (default_high - default_low)
    if lower > upper:
        raise DbflowError(f"no value satisfies the range {lower}..{upper} of {column.name}")
    if base in _INT_RANGES:
        if unique:
            return _unique_integers(rule, low, high, offset)
        first, last = max(int(lower), low), min(int(upper), high)
        if first > last:
            first = last = int(lower) if lower == int(lower) else int(lower) + 1
        steps = (last - first) // step + 1
        return lambda row, h: first + step * (h % steps)
    scale = column.numeric_scale if column.numeric_scale is not None else 2
    quantum = Decimal(1).scaleb(-scale)
    if step > 1 and upper - lower >= step:
        quantum = Decimal(step)
        lower = (lower / quantum).to_integral_value(rounding="ROUND_CEILING") * quantum
    elif meaning is not None and scale >= 2 and upper - lower >= 10 and "price" in name:
        # Prices end in .99 or .00 or .50, as shops write them.
        cents = (Decimal("0.99"), Decimal("0.00"), Decimal("0.50"))
        prices = [
            float(value) if base in ("float4", "float8") else value.quantize(Decimal("0.01"))
            for whole in range(int(lower), int(lower) + max(1, int(upper) - int(lower)))
            for value in (min(max(Decimal(whole) + cent, lower), upper) for cent in cents)
        ]

        def price(row: int, h: int) -> Value:
            return prices[h % len(prices)]

        if not unique and len(prices) <= 300_000:
            return price
    span_units = int((upper - lower) / quantum) + 1

    def decimal_value(row: int, h: int) -> Value:
        value = (lower + quantum * (h % span_units)).quantize(Decimal(1).scaleb(-scale))
        if base in ("float4", "float8"):
            return float(value)
        return value

    if unique:
        return lambda row, h: (
            lower + Decimal(1).scaleb(-scale) * (offset + row)
            if base == "numeric"
            else float(lower) + row
        )
    if span_units <= 4096:  # few enough to build once and index
        table = [decimal_value(0, unit) for unit in range(span_units)]
        return lambda row, h: table[h % span_units]
    return decimal_value


def _unique_integers(rule: ColumnRule, low: int, high: int, offset: int) -> Producer:
    """Distinct integers: 1, 2, 3... after the rows already there, within a CHECK's bounds
    (wrapping past its last value, where the rows that repeat are left out before loading)."""
    if rule.minimum is None and rule.maximum is None:
        return lambda row, h: offset + row + 1
    first = low if rule.minimum is None else math.ceil(rule.minimum)
    if rule.minimum is not None and rule.exclusive_minimum and first == rule.minimum:
        first += 1
    last = high if rule.maximum is None else math.floor(rule.maximum)
    if rule.maximum is not None and rule.exclusive_maximum and last == rule.maximum:
        last -= 1
    if rule.minimum is None:
        first = min(1, last)
    if first > last:
        raise DbflowError(f"no integer lies in {first}..{last}")
    span = last - first + 1
    return lambda row, h: first + (offset + row) % span


_FUTURE_WORDS = ("end_at", "ends_at", "end_date", "expires", "expiry", "expiration", "deadline",
                 "due_", "valid_until", "valid_to", "until")  # fmt: skip


def time_producer(column: Column, rule: ColumnRule) -> Producer:
    base = column.base_type
    name = column.name.lower()

    after, before = rule.after, rule.before
    year = 365 * 24 * 3600
    future = any(word in name for word in _FUTURE_WORDS)

    def moment(row: int, h: int) -> dt.datetime:
        if after is not None and before is not None:
            span = max(1, int((before - after).total_seconds()) - 2)
            return after + dt.timedelta(seconds=1 + h % span)
        if after is not None:
            return after + dt.timedelta(seconds=3600 + h % year)
        seconds = h % year
        if future:  # ends, expiries, deadlines: after the seed's clock and today's
            return EPOCH + dt.timedelta(seconds=3 * year + seconds)
        if "birth" in name:
            seconds = h % (50 * year) + 18 * year
        value = EPOCH - dt.timedelta(seconds=seconds)
        if before is not None and value >= before:
            value = before - dt.timedelta(seconds=3600 + h % year)
        return value

    if base == "date":
        return lambda row, h: moment(row, h).date()
    if base == "timestamp":
        return lambda row, h: moment(row, h).replace(tzinfo=None)
    if base == "time":
        return lambda row, h: dt.time(h % 24, (h >> 5) % 60)
    if base == "timetz":
        return lambda row, h: dt.time(h % 24, (h >> 5) % 60, tzinfo=dt.UTC)
    if base == "interval":
        return _interval_producer(rule)
    return moment


def _interval_producer(rule: ColumnRule) -> Producer:
    """Durations in whole minutes (up to a week), within a CHECK's bounds in seconds."""
    low = Decimal(60) if rule.minimum is None else rule.minimum
    high = Decimal(7 * 86400) if rule.maximum is None else rule.maximum
    if rule.maximum is not None and rule.minimum is None and high < low:
        low = high - 7 * 86400
    if rule.exclusive_minimum:
        low += 1
    if rule.exclusive_maximum:
        high -= 1
    first, last = math.ceil(low / 60), math.floor(high / 60)
    if first > last:  # a window under a minute: whole seconds
        seconds = max(math.ceil(low), 0) if low <= high else int(low)
        return lambda row, h: dt.timedelta(seconds=seconds)
    span = last - first + 1
    return lambda row, h: dt.timedelta(minutes=first + h % span)


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


# Element types whose arrays binary COPY can send (psycopg has their dumpers).
_ARRAY_ELEMENTS = ("numeric", "float4", "float8", "bool", "date", "timestamptz", "timestamp")


def array_producer(column: Column, rule: ColumnRule) -> Producer:
    name = column.name.lower()
    base = column.base_type
    if base in ("text", "varchar"):
        pool = words.SKILLS if "skill" in name or "tag" in name else words.words()
        return lambda row, h: sorted(
            {_pick(pool, h >> shift) for shift in range(0, 4 * (1 + h % 4), 4)}
        )
    if column.enum_labels:
        labels = column.enum_labels
        return lambda row, h: sorted(
            {labels[(h >> shift) % len(labels)] for shift in range(0, 5 * (1 + h % 3), 5)},
            key=labels.index,
        )
    if base in _INT_RANGES:
        return lambda row, h: [h % 100, (h >> 8) % 100]
    if base == "uuid":
        return lambda row, h: [uuid.UUID(int=h << 64 | row, version=4)]
    if base not in _ARRAY_ELEMENTS:
        element = dataclasses.replace(column, is_array=False)
        form = text_form(element, unique=False)
        if form is None:
            raise UnknownType(f"arrays of {base} are not supported")
        return lambda row, h: [form(row, h), form(row, (h * 2654435761) & 0xFFFFFFFF)][: 1 + h % 2]
    element = dataclasses.replace(column, is_array=False, max_length=column.max_length)
    try:
        one = _typed_producer(
            element, ColumnRule(), unique=False, table="", realistic=True, seed=0, offset=0
        )
    except UnknownType:
        raise UnknownType(f"arrays of {base} are not supported") from None
    return lambda row, h: [one(row, h), one(row, (h * 2654435761) & 0xFFFFFFFF)][: 1 + h % 2]


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
    if rule.null:
        return lambda row, h: None
    produce = _typed_producer(
        column, rule, unique=unique, table=table, realistic=realistic, seed=seed, offset=offset
    )
    return _respecting(produce, rule)


def _respecting(produce: Producer, rule: ColumnRule) -> Producer:
    """Values a CHECK refuses (``<>``, ``NOT IN``) drawn again; a required case applied."""
    excluded, case = list(rule.excluded), rule.case
    if not excluded and case is None:
        return produce

    def respected(row: int, h: int) -> Value:
        value = produce(row, h)
        tries = 0
        while excluded and value in excluded and tries < 8:
            tries += 1
            value = produce(row, (h * 2654435761 + tries) & 0xFFFFFFFF)
        if excluded and value in excluded and isinstance(value, str):
            value = f"{value}-{row}"
        elif excluded and isinstance(value, int) and not isinstance(value, bool):
            while value in excluded:  # a row-numbered value: the next one (a repeat is left out)
                value += 1
        return _cased(value, case) if isinstance(value, str) else value

    return respected


def _typed_producer(
    column: Column,
    rule: ColumnRule,
    *,
    unique: bool,
    table: str,
    realistic: bool,
    seed: int,
    offset: int,
) -> Producer:
    base = column.base_type
    if rule.choices and not column.is_array:
        choices = [
            _as_column_value(column, choice)
            for choice in rule.choices
            if choice not in rule.excluded
        ] or [_as_column_value(column, choice) for choice in rule.choices]
        if unique:  # each value once, in order: the rows past them are left out
            return lambda row, h: choices[row % len(choices)]
        return lambda row, h: choices[h % len(choices)]
    if column.is_array:
        return array_producer(column, rule)
    if column.enum_labels:
        labels = [
            label for label in (rule.choices or column.enum_labels) if label not in rule.excluded
        ] or list(rule.choices or column.enum_labels)
        if unique:
            return lambda row, h: labels[row % len(labels)]
        return lambda row, h: labels[h % len(labels)]
    if base in ("text", "varchar", "bpchar", "citext", "name"):
        return text_producer(column, rule, unique, table, realistic)
    if base in ("int2", "int4", "int8", "numeric", "float4", "float8", "money"):
        number = number_producer(column, rule, unique, offset)
        if base == "money":  # sent as text: the server reads the number
            return lambda row, h: str(number(row, h))
        return number
    if base in ("timestamptz", "timestamp", "date", "time", "timetz", "interval"):
        return time_producer(column, rule)
    if base == "bool":
        name = column.name.lower()
        if unique:
            return lambda row, h: row % 2 == 1
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
    if base == "bytea":
        return lambda row, h: h.to_bytes(4, "big")
    if is_range(column):
        ranges = range_producer(column, disjoint=unique)
        if ranges is not None:
            return ranges
    form = text_form(column, unique)
    if form is not None:
        return form
    raise UnknownType(f"no generator for type {column.type_name}{_why_none(column)}")


def _why_none(column: Column) -> str:
    """Why a type has no generator, when dbflow knows."""
    reason = unseedable(column.base_type)
    if reason is not None:
        return f": {reason}"
    if column.scalar_kind == "c":
        return ": a composite type's fields are not generated"
    return ""


def edge_values(column: Column, rule: ColumnRule, variant: int) -> Value:
    """Boundary values for seed-test's edge-case rows, or ... when no edge applies."""
    base = column.base_type
    if variant == 0 and not column.not_null and not rule.not_null:
        return None
    if column.enum_labels and not rule.choices:
        return column.enum_labels[0] if variant == 0 else column.enum_labels[-1]
    if rule.choices:
        return _as_column_value(column, rule.choices[0] if variant == 0 else rule.choices[-1])
    if base in ("text", "varchar", "bpchar") and not column.is_array and not rule.patterns:
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


def _as_column_value(column: Column, value: Value) -> Value:
    """A constant from a CHECK as the value binary COPY needs for ``column``."""
    if isinstance(value, str) and column.base_type not in _TEXT_LIKE and not column.enum_labels:
        try:
            return coerce_fixed(column, value)
        except ValueError:
            return value
    if column.base_type in _INT_RANGES and isinstance(value, Decimal) and value == int(value):
        return int(value)
    if column.base_type in ("numeric", "money") and isinstance(value, int | float):
        return Decimal(str(value))
    if column.base_type in ("float4", "float8") and isinstance(value, int | Decimal):
        return float(value)
    return value


_TEXT_LIKE = ("text", "varchar", "bpchar", "citext", "name")


def coerce_fixed(column: Column, text: str) -> Value:
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
