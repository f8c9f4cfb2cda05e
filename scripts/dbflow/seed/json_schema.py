"""JSON documents that a JSON Schema accepts, for ``CHECK (jsonb_matches_schema('...', col))``.

pg_jsonschema's CHECKs (``json_matches_schema``, ``jsonb_matches_schema``) hold a schema as a
constant; a column under one gets instances built from the schema's own keywords: ``type``
(and lists of types), ``properties``/``required``/``additionalProperties``, ``items`` and
``prefixItems`` with their counts, ``enum``/``const``, ``allOf``/``anyOf``/``oneOf``,
``$ref`` within the document, numbers within their bounds and multiples, strings within
their lengths, of a ``pattern`` (``seed.regex``) or a ``format``. The database's own CHECK
then proves sample rows before anything is written (``seed.verify``), as for any CHECK.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

from psycopg.types.json import Jsonb

from dbflow.seed import regex
from dbflow.seed.aliases import Document
from dbflow.seed.condition import BoolOp, Cast, Col, Const, Expr, Func
from dbflow.seed.values import Producer

_MATCHERS = ("jsonb_matches_schema", "json_matches_schema")
_DEPTH = 8
_FORMATS = {
    "email": lambda row, h: f"user{row}.{h % 1000}@example.com",
    "date-time": lambda row, h: f"2025-01-{1 + h % 28:02d}T{h % 24:02d}:00:00Z",
    "date": lambda row, h: f"2025-01-{1 + h % 28:02d}",
    "time": lambda row, h: f"{h % 24:02d}:{(h >> 5) % 60:02d}:00Z",
    "uuid": lambda row, h: f"00000000-0000-4000-8000-{(row << 16 | h & 0xFFFF) % 10**12:012d}",
    "uri": lambda row, h: f"https://example.com/items/{row}",
    "url": lambda row, h: f"https://example.com/items/{row}",
    "hostname": lambda row, h: f"host{row}.example.com",
    "ipv4": lambda row, h: f"192.0.2.{1 + h % 254}",
    "ipv6": lambda row, h: f"2001:db8::{h % 65535:x}",
}


def schema_columns(conditions: list[Expr]) -> dict[str, Document]:
    """The columns a CHECK holds to a JSON Schema (in a conjunct), with the schema."""
    found: dict[str, Document] = {}
    stack = list(conditions)
    while stack:
        expr = stack.pop()
        if isinstance(expr, BoolOp) and expr.kind == "and":
            stack.extend(expr.args)
        elif isinstance(expr, Func) and expr.name in _MATCHERS and len(expr.args) == 2:
            schema, column = expr.args
            while isinstance(schema, Cast):
                schema = schema.arg
            while isinstance(column, Cast):
                column = column.arg
            if (
                isinstance(schema, Const)
                and isinstance(schema.value, str)
                and isinstance(column, Col)
            ):
                try:
                    found[column.name] = json.loads(schema.value)
                except ValueError:
                    continue
    return found


def schema_producer(schema: Document) -> Producer:
    """Instances of ``schema``, one per row (varying with the row and its hash)."""
    return lambda row, h: Jsonb(instance(schema, row, h))


def instance(schema: Document, row: int, h: int) -> Document:
    """One document ``schema`` accepts, a pure function of (schema, row, hash)."""
    return _Builder(schema).build(schema, row, h, 0)


class _Builder:
    def __init__(self, root: Document) -> None:
        self.root = root

    def build(self, schema: Document, row: int, h: int, depth: int) -> Document:
        if schema is True or not isinstance(schema, Mapping) or not schema:
            return f"value {row}"
        schema = self._resolved(schema, depth)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][h % len(schema["enum"])]
        for key in ("oneOf", "anyOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                merged = {k: v for k, v in schema.items() if k != key}
                return self.build({**merged, **options[h % len(options)]}, row, h >> 3, depth + 1)
        kind = self._kind(schema, h)
        if depth >= _DEPTH:
            return None if kind == "null" else _scalar_fallback(kind, row)
        if kind == "object":
            return self._object(schema, row, h, depth)
        if kind == "array":
            return self._array(schema, row, h, depth)
        if kind == "string":
            return _string(schema, row, h)
        if kind in ("integer", "number"):
            return _number(schema, h, kind == "integer")
        if kind == "boolean":
            return h % 2 == 0
        return None

    def _resolved(self, schema: Mapping[str, Document], depth: int) -> Mapping[str, Document]:
        """``$ref`` within the document and ``allOf`` merged into one schema."""
        reference = schema.get("$ref")
        if isinstance(reference, str) and reference.startswith("#") and depth < _DEPTH:
            target: Document = self.root
            for part in reference.lstrip("#").strip("/").split("/"):
                if part and isinstance(target, Mapping):
                    target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**(target if isinstance(target, Mapping) else {}), **rest}
        parts = schema.get("allOf")
        if isinstance(parts, list):
            merged: dict[str, Document] = {k: v for k, v in schema.items() if k != "allOf"}
            for piece in parts:
                if not isinstance(piece, Mapping):
                    continue
                for key, value in self._resolved(piece, depth + 1).items():
                    if key == "properties" and isinstance(value, Mapping):
                        merged["properties"] = {**merged.get("properties", {}), **value}
                    elif key == "required" and isinstance(value, list):
                        merged["required"] = [*merged.get("required", []), *value]
                    else:
                        merged.setdefault(key, value)
            schema = merged
        return schema

    def _kind(self, schema: Mapping[str, Document], h: int) -> str:
        kind = schema.get("type")
        if isinstance(kind, list):
            usable = [k for k in kind if k != "null"] or kind
            return str(usable[h % len(usable)]) if usable else "null"
        if isinstance(kind, str):
            return kind
        if "properties" in schema or "required" in schema:
            return "object"
        if "items" in schema or "prefixItems" in schema:
            return "array"
        if any(key in schema for key in ("minimum", "maximum", "multipleOf")):
            return "number"
        return "string"

    def _object(self, schema: Mapping[str, Document], row: int, h: int, depth: int) -> Document:
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        result: dict[str, Document] = {}
        for index, (name, sub) in enumerate(properties.items()):
            if name in required or (h >> (index % 24)) % 3 != 0:
                result[name] = self.build(sub, row, _mixed(h, index), depth + 1)
        for name in required - set(result):
            result[name] = self.build({}, row, h, depth + 1)
        least = schema.get("minProperties")
        extra = schema.get("additionalProperties", True)
        if isinstance(least, int):
            for index in range(least - len(result)):
                if extra is False:
                    break
                result[f"field_{index}"] = self.build(
                    extra if isinstance(extra, Mapping) else {"type": "string"}, row, h, depth + 1
                )
        return result

    def _array(self, schema: Mapping[str, Document], row: int, h: int, depth: int) -> Document:
        prefix = schema.get("prefixItems")
        items = schema.get("items", {})
        if isinstance(items, list):  # draft 4's tuple form
            prefix, items = items, schema.get("additionalItems", {})
        low = int(schema.get("minItems", 0))
        high = int(schema.get("maxItems", max(low, 3)))
        prefix = prefix if isinstance(prefix, list) else []
        count = max(
            low, min(high, len(prefix) + 1 + h % 3), len(prefix) if high >= len(prefix) else 0
        )
        count = min(count, high)
        result = []
        for index in range(count):
            sub = prefix[index] if index < len(prefix) else items
            if sub is False:
                break
            value = self.build(sub, row, _mixed(h, index + 7), depth + 1)
            if schema.get("uniqueItems") and value in result:
                value = self.build(sub, row + 1000 * (index + 1), _mixed(h, index + 99), depth + 1)
                if value in result:
                    continue
            result.append(value)
        return result


def _mixed(h: int, index: int) -> int:
    value = (h ^ (index * 0x9E3779B1)) & 0xFFFFFFFF
    value = ((value ^ (value >> 16)) * 0x85EBCA6B) & 0xFFFFFFFF
    return value ^ (value >> 13)


def _scalar_fallback(kind: str, row: int) -> Document:
    return {"object": {}, "array": [], "integer": 0, "number": 0, "boolean": False}.get(
        kind, f"value {row}"
    )


def _string(schema: Mapping[str, Document], row: int, h: int) -> str:
    low = int(schema.get("minLength", 0))
    high = schema.get("maxLength")
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        made = regex.generate(pattern, h, (low, high))
        if made is not None:
            return made
    maker = _FORMATS.get(str(schema.get("format", "")))
    text = maker(row, h) if maker else f"value {row}"
    if high is not None and len(text) > int(high):
        text = text[: int(high)]
    if len(text) < low:
        text = text + "x" * (low - len(text))
    return text


def _number(schema: Mapping[str, Document], h: int, integer: bool) -> Document:
    low, high = schema.get("minimum"), schema.get("maximum")
    exclusive_low, exclusive_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if isinstance(exclusive_low, bool):  # draft 4: a flag on minimum
        exclusive_low = low if exclusive_low else None
    if isinstance(exclusive_high, bool):
        exclusive_high = high if exclusive_high else None
    step = schema.get("multipleOf") or (1 if integer else 0.5)
    bottom = max(
        [
            v
            for v in (low, exclusive_low + step if exclusive_low is not None else None)
            if v is not None
        ],
        default=0,
    )
    top = min(
        [
            v
            for v in (high, exclusive_high - step if exclusive_high is not None else None)
            if v is not None
        ],
        default=bottom + 100,
    )
    first = math.ceil(bottom / step)
    last = math.floor(top / step)
    if last < first:
        last = first
    value = (first + h % (last - first + 1)) * step
    if integer:
        return int(value)
    return int(value) if float(value).is_integer() else float(value)
