"""The seeder's pure parts, without a database: reading and evaluating CHECKs, their branches,
text for patterns, JSON Schema documents, values in their types' input syntax, names."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg.types.range import Range

from dbflow.catalog.model import Check, Column, Table
from dbflow.seed import regex
from dbflow.seed.branches import interval_seconds
from dbflow.seed.checks import table_rules
from dbflow.seed.condition import Col, Func, Opaque, read_condition
from dbflow.seed.evaluate import holds
from dbflow.seed.json_schema import instance, schema_columns
from dbflow.seed.keep import ranges_overlap
from dbflow.seed.names import name_parts
from dbflow.seed.type_forms import modifiers, text_form
from dbflow.seed.values import short_code


def column(name: str, base: str, *, not_null: bool = False, type_name: str = "") -> Column:
    return Column(name, type_name or base, base, False, None, not_null, False, "", False)


@pytest.mark.parametrize(
    ("definition", "row", "verdict"),
    [
        ("CHECK ((price > (0)::numeric))", {"price": Decimal("1.5")}, True),
        ("CHECK ((price > (0)::numeric))", {"price": Decimal("0")}, False),
        ("CHECK ((price > (0)::numeric))", {"price": None}, True),  # NULL passes a CHECK
        ("CHECK (((a IS NULL) <> (b IS NULL)))", {"a": 1, "b": None}, True),
        ("CHECK (((a IS NULL) <> (b IS NULL)))", {"a": None, "b": None}, False),
        ("CHECK ((status = ANY (ARRAY['open'::text, 'closed'::text])))", {"status": "open"}, True),
        ("CHECK ((status = ANY (ARRAY['open'::text, 'closed'::text])))", {"status": "x"}, False),
        ("CHECK ((char_length(name) <= 3))", {"name": "abcd"}, False),
        ("CHECK ((slug ~ '^[a-z]+$'::text))", {"slug": "abc"}, True),
        ("CHECK ((slug ~ '^[a-z]+$'::text))", {"slug": "ABC"}, False),
        ("CHECK ((NOT (x BETWEEN 1 AND 9)))", {"x": 5}, False),
        ("CHECK ((my_function(x)))", {"x": 5}, None),  # only the server can tell
    ],
)
def test_a_check_is_read_and_evaluated_with_three_valued_logic(
    definition: str, row: dict[str, object], verdict: bool | None
) -> None:
    assert holds(read_condition(definition), row) is verdict


def test_what_the_reader_cannot_model_keeps_its_columns() -> None:
    expr = read_condition("CHECK ((payload #> '{a}') IS NOT NULL)")
    found = expr.arg if not isinstance(expr, Opaque) else expr  # type: ignore[attr-defined]
    assert "payload" in repr(found)
    call = read_condition("CHECK (jsonb_matches_schema('{}'::json, doc))")
    assert isinstance(call, Func) and call.name == "jsonb_matches_schema"
    assert isinstance(call.args[1], Col) and call.args[1].name == "doc"


def test_contradictions_and_disjunctions_of_a_tables_checks() -> None:
    table = Table(
        ("public", "t"),
        columns=[column("percent", "int4", not_null=True), column("kind", "text")],
        checks=[
            Check("small", "CHECK ((percent < 5))"),
            Check("large", "CHECK ((percent > 50))"),
        ],
    )
    rules = table_rules(table)
    assert rules.problems and "contradicts CHECK small" in rules.problems[0]
    either = Table(
        ("public", "e"),
        columns=[column("a", "int4"), column("b", "int4")],
        checks=[Check("one", "CHECK ((((a IS NULL) AND (b IS NOT NULL)) OR (a > 3)))")],
    )
    assert len(table_rules(either).branches) == 2


PATTERNS = ["^[a-z]{3,8}$", "^[A-Z]{2}-[0-9]{4}$", r"^\d{5}(-\d{4})?$", "^(red|green|blue)$"]


@settings(max_examples=60, deadline=None)
@given(pattern=st.sampled_from(PATTERNS), seed=st.integers(0, 2**32))
def test_text_built_for_a_pattern_matches_it(pattern: str, seed: int) -> None:
    made = regex.generate(pattern, seed)
    assert made is not None and re.fullmatch(pattern.strip("^$"), made), (pattern, made)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("00:00:00", 0), ("1 day", 86400), ("2 days 03:00:00", 183600), ("1 mon", 2592000),
     ("-00:30:00", -1800), ("1 year 2 mons", 36288000)],
)  # fmt: skip
def test_interval_literals_read_as_postgresql_compares_them(text: str, seconds: int) -> None:
    assert interval_seconds(text) == seconds


SCHEMAS = [
    {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer", "minimum": 3}}},
    {"type": "array", "items": {"type": "string", "pattern": "^[a-z]{2,4}$"}, "minItems": 1},
    {"enum": ["x", "y"]},
    {"type": "object", "additionalProperties": False, "required": ["kind"],
     "properties": {"kind": {"const": "a"}, "n": {"type": "number", "exclusiveMinimum": 0}}},
    {"$defs": {"p": {"type": "string", "format": "email"}}, "type": "object",
     "required": ["who"], "properties": {"who": {"$ref": "#/$defs/p"}}},
    {"allOf": [{"type": "object", "required": ["a"], "properties": {"a": {"type": "boolean"}}},
               {"required": ["b"], "properties": {"b": {"type": "null"}}}]},
    {"anyOf": [{"type": "integer", "multipleOf": 5}, {"type": "string", "maxLength": 3}]},
]  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(schema=st.sampled_from(SCHEMAS), row=st.integers(0, 10_000), h=st.integers(0, 2**32 - 1))
def test_documents_built_for_a_json_schema_are_valid(
    schema: dict[str, object], row: int, h: int
) -> None:
    jsonschema.validate(instance(schema, row, h), schema)


def test_the_column_a_json_schema_check_holds_to() -> None:
    check = read_condition(
        'CHECK (extensions.jsonb_matches_schema(\'{"type": "object"}\'::json, attributes))'
    )
    assert schema_columns([check]) == {"attributes": {"type": "object"}}


def test_values_in_their_input_syntax() -> None:
    vector = text_form(column("e", "vector", type_name="extensions.vector(384)"), False)
    assert vector is not None and len(vector(3, 77).strip("[]").split(",")) == 384
    point = text_form(column("g", "geography", type_name="geography(Point,4326)"), False)
    assert point is not None and re.fullmatch(r"SRID=4326;POINT\(-?[\d.]+ -?[\d.]+\)", point(1, 2))
    upc = text_form(column("u", "upc"), False)
    assert upc is not None
    digits = [int(d) for d in "0" + upc(5, 99)]
    assert sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0
    assert modifiers("geometry(MultiPolygon,4326)") == ["MultiPolygon", "4326"]
    assert [short_code(row, 2) for row in (0, 1, 26, 675)] == ["AA", "AB", "BA", "ZZ"]


def test_ranges_overlap_as_postgresql_says() -> None:
    day = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    hour = dt.timedelta(hours=1)
    assert ranges_overlap(Range(day, day + hour), Range(day + hour / 2, day + 2 * hour))
    assert not ranges_overlap(Range(day, day + hour, "[)"), Range(day + hour, day + 2 * hour))
    assert ranges_overlap(Range(day, day + hour, "[]"), Range(day + hour, day + 2 * hour, "[)"))


def test_names_on_the_command_line_read_as_postgresql_reads_them() -> None:
    assert name_parts('public."Users"') == ["public", "Users"]
    assert name_parts('"a.b"."we""ird".col') == ["a.b", 'we"ird', "col"]
    assert name_parts("skills") == ["skills"]
