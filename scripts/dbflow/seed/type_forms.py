"""Values of the types Python has no value for, written as the server reads them.

Extension types (pgvector's ``vector``, ``halfvec`` and ``sparsevec``, PostGIS's
``geometry`` and ``geography``, ``ltree``, ``hstore``, ``cube``, ``seg``, ``isn``'s
numbers), and PostgreSQL's geometric, network, bit-string, text-search, XML, LSN and
catalog-reference types: each gets its input syntax, built from the row's hash (and from
the row number where the column is unique). A table with such a column is sent by COPY in
text format, where the server parses each value as it would in an INSERT.

Types no value can be typed in for (the server's own internal forms) are in
``UNSEEDABLE`` with the reason; a column of one is left to its default, or, when it must
have a value, its table is left empty with that reason.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal

from psycopg.types.multirange import Multirange
from psycopg.types.range import Range

from dbflow.catalog.model import Column
from dbflow.seed.aliases import Value

Producer = Callable[[int, int], Value]  # (row number, 32-bit hash) -> value

# Types whose values only the server makes: no input can name one.
UNSEEDABLE: dict[str, str] = {
    "pg_node_tree": "the server's internal form of an expression accepts no input",
    "pg_ndistinct": "the planner's statistics type accepts no input",
    "pg_dependencies": "the planner's statistics type accepts no input",
    "pg_mcv_list": "the planner's statistics type accepts no input",
    "pg_brin_bloom_summary": "an index's internal summary accepts no input",
    "pg_brin_minmax_multi_summary": "an index's internal summary accepts no input",
    "gtsvector": "the text-search index's internal type accepts no input",
    "raster": "PostGIS rasters are binary images dbflow does not draw",
}
# An index's internal key types (btree_gist, hstore, ltree, pg_trgm, intarray, PostGIS)
# accept no input either.
_INDEX_KEYS = re.compile(r"^(gbtreekey\w*|ghstore|gidx|box2df|ltree_gist|gtrgm|intbig_gkey)$")
INDEX_KEY_REASON = "an index's internal key type accepts no input"


def unseedable(base_type: str) -> str | None:
    """Why no value of ``base_type`` can be typed in, when none can."""
    if _INDEX_KEYS.match(base_type):
        return INDEX_KEY_REASON
    return UNSEEDABLE.get(base_type)


_WORDS = ("alpha", "bravo", "delta", "echo", "lima", "nova", "orbit", "polar", "quartz", "sigma")
_GEOMETRY_KINDS = (
    "point",
    "linestring",
    "polygon",
    "multipoint",
    "multilinestring",
    "multipolygon",
    "geometrycollection",
)


def modifiers(type_name: str) -> list[str]:
    """``geometry(Point,4326)`` -> ``['Point', '4326']``; no parentheses -> ``[]``."""
    found = re.search(r"\(([^()]*)\)\s*(?:\[\])?\s*$", type_name)
    return [part.strip() for part in found.group(1).split(",")] if found else []


def _unit(h: int, shift: int = 0) -> float:
    """A number in [0, 1) from 10 bits of the hash."""
    return ((h >> shift) & 0x3FF) / 1024


_VECTOR_POOL = 64  # distinct vectors per dimension count; rows pick among them


def _vector(dimensions: int) -> Producer:
    """Vectors of ``dimensions`` components in [-1, 1], from a pool built once (embeddings
    are long: formatting one per row would cost more than loading it)."""
    pool = []
    for number in range(_VECTOR_POOL):
        seed = (number + 1) * 2654435761 & 0x7FFFFFFF
        values = []
        for index in range(dimensions):
            seed = (seed * 1103515245 + 12345 + index) & 0x7FFFFFFF
            values.append(f"{(seed % 2001 - 1000) / 1000:.3f}")
        pool.append("[" + ",".join(values) + "]")
    return lambda row, h: pool[(h ^ row) % _VECTOR_POOL]


def _sparse_vector(dimensions: int) -> Producer:
    def produce(row: int, h: int) -> str:
        first = 1 + h % dimensions
        second = 1 + (h >> 11) % dimensions
        entries = sorted({first, second})
        body = ",".join(f"{index}:{0.125 * (1 + (h >> index % 20) % 7):.3f}" for index in entries)
        return "{" + body + "}/" + str(dimensions)

    return produce


def _coordinates(row: int, h: int, extra: int) -> tuple[float, float, list[str]]:
    longitude = round(-150 + 300 * _unit(h), 4)
    latitude = round(-60 + 130 * _unit(h, 10), 4)
    return longitude, latitude, ["0"] * extra


def _geometry(type_name: str, geography: bool) -> Producer:
    """WKT (with its SRID) of the subtype and dimensions ``geometry(...)`` names."""
    parts = modifiers(type_name)
    kind = parts[0].lower() if parts else "point"
    srid = parts[1] if len(parts) > 1 else ("4326" if geography else "")
    suffix = ""
    for ending in ("zm", "z", "m"):
        if kind.endswith(ending) and kind[: -len(ending)] in (*_GEOMETRY_KINDS, "geometry"):
            kind, suffix = kind[: -len(ending)], ending
            break
    if kind not in _GEOMETRY_KINDS:
        kind = "point"
    extra = len(suffix)
    dimension = f" {suffix.upper()} " if suffix else ""
    prefix = f"SRID={srid};" if srid and srid != "0" else ""

    def produce(row: int, h: int) -> str:
        x, y, more = _coordinates(row, h, extra)

        def at(dx: float, dy: float) -> str:
            return " ".join([f"{x + dx:.4f}", f"{y + dy:.4f}", *more])

        ring = f"({at(0, 0)}, {at(0.01, 0)}, {at(0.01, 0.01)}, {at(0, 0.01)}, {at(0, 0)})"
        line = f"({at(0, 0)}, {at(0.01, 0.01)})"
        shapes = {
            "point": f"({at(0, 0)})",
            "linestring": line,
            "polygon": f"({ring})",
            "multipoint": f"(({at(0, 0)}), ({at(0.01, 0.01)}))",
            "multilinestring": f"({line})",
            "multipolygon": f"(({ring}))",
            "geometrycollection": f"(POINT{dimension}({at(0, 0)}))",
        }
        return f"{prefix}{kind.upper()}{dimension}{shapes[kind]}"

    return produce


def _ean(prefix: str, length: int) -> Producer:
    """A number of ``length`` digits starting with ``prefix``, with its EAN check digit."""

    digits = length - 1 - len(prefix)

    def produce(row: int, h: int) -> str:
        body = prefix + f"{(h ^ row * 7919) % 10**digits:0{digits}d}"
        padded = body.rjust(12, "0")  # a UPC is an EAN-13 with a leading zero
        total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(padded))
        return body + str((10 - total % 10) % 10)

    return produce


def _bits(type_name: str, varying: bool) -> Producer:
    parts = modifiers(type_name)
    length = int(parts[0]) if parts and parts[0].isdigit() else (8 if varying else 1)
    width = min(length, 32) if varying else length

    def produce(row: int, h: int) -> str:
        source = format((h ^ row) & 0xFFFFFFFF, "032b")
        return (source * (width // 32 + 1))[:width]

    return produce


def _plain_forms(unique: bool) -> dict[str, Producer]:
    """Types whose text form needs nothing but the row and its hash."""
    word: Callable[[int, int], str] = lambda row, h: _WORDS[h % len(_WORDS)]  # noqa: E731
    return {
        "inet": lambda row, h: (
            f"10.{(row >> 16) & 255}.{(row >> 8) & 255}.{row & 255}"
            if unique
            else f"192.0.2.{h % 254 + 1}"
        ),
        "cidr": lambda row, h: (
            f"10.{(row >> 8) & 255}.{row & 255}.0/24" if unique else f"10.{h % 256}.0.0/16"
        ),
        "macaddr": lambda row, h: (
            "08:00:2b:"
            + ":".join(
                f"{(value >> shift) & 255:02x}"
                for value in (row if unique else h,)
                for shift in (16, 8, 0)
            )
        ),
        "macaddr8": lambda row, h: (
            "08:00:2b:01:02:"
            + ":".join(
                f"{(value >> shift) & 255:02x}"
                for value in (row if unique else h,)
                for shift in (16, 8, 0)
            )
        ),
        "point": lambda row, h: f"({row if unique else h % 1000},{(h >> 10) % 1000})",
        "line": lambda row, h: f"{{1,-1,{row if unique else h % 100}}}",
        "lseg": lambda row, h: f"[({row},0),({row + 1},{h % 10 + 1})]",
        "box": lambda row, h: f"({row + 1},{h % 10 + 1}),({row},0)",
        "path": lambda row, h: f"[({row},0),({row + 1},{h % 10 + 1}),({row + 2},0)]",
        "polygon": lambda row, h: f"(({row},0),({row + 1},{h % 10 + 1}),({row + 2},0))",
        "circle": lambda row, h: f"<({row},{h % 100}),{h % 10 + 1}>",
        "money": lambda row, h: f"{(row if unique else h % 100_000) / 100 + 1:.2f}",
        "tsvector": lambda row, h: f"{word(row, h)} {_WORDS[(h >> 4) % len(_WORDS)]} row{row}",
        "tsquery": lambda row, h: f"{word(row, h)} & {_WORDS[(h >> 4) % len(_WORDS)]}",
        "xml": lambda row, h: f'<item row="{row}">{word(row, h)}</item>',
        "jsonpath": lambda row, h: f"$.{word(row, h)}[{row if unique else h % 10}]",
        "pg_lsn": lambda row, h: f"0/{(row if unique else h) + 1:X}",
        "char": lambda row, h: "abcdefghijklmnopqrstuvwxyz"[h % 26],
        "oid": lambda row, h: str(row + 1 if unique else h % 100_000 + 1),
        "xid": lambda row, h: str(row + 3 if unique else h % 100_000 + 3),
        "xid8": lambda row, h: str(row + 3 if unique else h % 100_000 + 3),
        "cid": lambda row, h: str(row if unique else h % 1000),
        "tid": lambda row, h: f"({row if unique else h % 1000},{h % 100 + 1})",
        "pg_snapshot": lambda row, h: f"{row + 10}:{row + 20}:",
        "txid_snapshot": lambda row, h: f"{row + 10}:{row + 20}:",
        "refcursor": lambda row, h: f"cursor_{row}",
        "aclitem": lambda row, h: "postgres=r/postgres",
        "regclass": lambda row, h: ("pg_class", "pg_type", "pg_proc", "pg_namespace")[h % 4],
        "regtype": lambda row, h: ("integer", "text", "uuid", "jsonb")[h % 4],
        "regproc": lambda row, h: ("now", "version", "pg_backend_pid")[h % 3],
        "regprocedure": lambda row, h: ("now()", "lower(text)", "upper(text)")[h % 3],
        "regoper": lambda row, h: "||/",
        "regoperator": lambda row, h: ("+(integer,integer)", "-(integer,integer)")[h % 2],
        "regnamespace": lambda row, h: ("public", "pg_catalog")[h % 2],
        "regrole": lambda row, h: "postgres",
        "regconfig": lambda row, h: ("english", "simple")[h % 2],
        "regdictionary": lambda row, h: "simple",
        "regcollation": lambda row, h: '"C"',
        "ltree": lambda row, h: f"top.{word(row, h)}.r{row}",
        "lquery": lambda row, h: f"top.{word(row, h)}.*",
        "ltxtquery": lambda row, h: f"top & {word(row, h)}",
        "hstore": lambda row, h: f'"kind"=>"{word(row, h)}", "row"=>"{row}"',
        "cube": lambda row, h: f"({row}, {h % 100}),({row + 1}, {h % 100 + 1})",
        "seg": lambda row, h: f"{h % 100} .. {h % 100 + 1 + row % 50}",
        "ean13": _ean("4", 13),
        "isbn13": _ean("978", 13),
        "isbn": _ean("978", 13),
        "ismn13": _ean("9790", 13),
        "ismn": _ean("9790", 13),
        "issn13": _ean("977", 13),
        "issn": _ean("977", 13),
        "upc": _ean("0", 12),
        "box2d": lambda row, h: f"BOX({row} 0,{row + 1} {h % 10 + 1})",
        "box3d": lambda row, h: f"BOX3D({row} 0 0,{row + 1} {h % 10 + 1} 1)",
        "spheroid": lambda row, h: 'SPHEROID["WGS 84",6378137,298.257223563]',
    }


TEXT_FORM_TYPES = frozenset(
    {
        *_plain_forms(False),
        "vector",
        "halfvec",
        "sparsevec",
        "geometry",
        "geography",
        "bit",
        "varbit",
        "money",
    }
)  # fmt: skip  (a word list)


def text_form(column: Column, unique: bool) -> Producer | None:
    """A producer of the column's scalar in its input syntax, or None when dbflow has none."""
    base = column.base_type
    type_name = column.scalar_type or column.type_name
    parts = modifiers(type_name)
    if base in ("vector", "halfvec"):
        return _vector(int(parts[0]) if parts and parts[0].isdigit() else 3)
    if base == "sparsevec":
        return _sparse_vector(int(parts[0]) if parts and parts[0].isdigit() else 8)
    if base in ("geometry", "geography"):
        return _geometry(type_name, base == "geography")
    if base in ("bit", "varbit"):
        return _bits(type_name, base == "varbit")
    return _plain_forms(unique).get(base)


# Ranges: the subtype of each built-in range and multirange type.
_RANGE_SUBTYPES = {
    "int4range": "int",
    "int8range": "int",
    "numrange": "numeric",
    "daterange": "date",
    "tsrange": "timestamp",
    "tstzrange": "timestamptz",
}
_MULTIRANGES = {
    "int4multirange": "int4range",
    "int8multirange": "int8range",
    "nummultirange": "numrange",
    "datemultirange": "daterange",
    "tsmultirange": "tsrange",
    "tstzmultirange": "tstzrange",
}
_EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _bound(subtype: str, step: int) -> Value:
    if subtype == "int":
        return step
    if subtype == "numeric":
        return Decimal(step)
    if subtype == "date":
        return _EPOCH.date() + dt.timedelta(days=step)
    moment = _EPOCH + dt.timedelta(hours=step)
    return moment.replace(tzinfo=None) if subtype == "timestamp" else moment


def range_producer(column: Column, disjoint: bool) -> Producer | None:
    """Ranges ``[lower, upper)`` of the column's range (or multirange) type. ``disjoint``
    (an exclusion constraint's ``&&``, a unique range): row ``n`` covers the slot ``n``, so
    no two rows overlap; otherwise a range of one to ten steps starts anywhere in a year."""
    base = column.base_type
    multi = base in _MULTIRANGES
    subtype = _RANGE_SUBTYPES.get(_MULTIRANGES.get(base, base))
    if subtype is None:
        return None

    def one(row: int, h: int) -> Range[Value]:
        if disjoint:
            start, width = row * 12, 1 + h % 10
        else:
            start, width = h % 8760, 1 + (h >> 14) % 10
        return Range(_bound(subtype, start), _bound(subtype, start + width), "[)")

    if multi:
        return lambda row, h: Multirange([one(row, h)])
    return one


def is_range(column: Column) -> bool:
    return column.base_type in _RANGE_SUBTYPES or column.base_type in _MULTIRANGES
