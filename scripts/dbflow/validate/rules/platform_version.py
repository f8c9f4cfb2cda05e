"""The version gate: SQL that needs a newer PostgreSQL than the platform's major.

A project's local engine may be newer than its platform (the embedded PostgreSQL 18 for a
project on 15 or 17), so a migration can apply locally and fail on the platform. Each entry
below is a fact from PostgreSQL's release notes: what a major added, with a statement that
uses it (tests/test_platform_version.py runs every statement newer than 15 on the system
PostgreSQL 15, where it must fail, and on the embedded 18, where it must work).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dbflow.sql.parse import language_and_body, split_statements
from dbflow.sql.tree import Node, names
from dbflow.validate.rules import Hit, StatementContext, flags, passes, rule


@dataclass(frozen=True)
class Feature:
    major: int  # the PostgreSQL major that added it
    what: str  # how the finding names it
    sample: str  # a statement that uses it (and fails before ``major``)


# Functions, by name (called unqualified or as pg_catalog.name); a name with a "/2" suffix
# counts only with that many arguments.
FUNCTIONS: dict[str, Feature] = {
    "regexp_count": Feature(15, "regexp_count()", "select regexp_count('aa', 'a')"),
    "regexp_instr": Feature(15, "regexp_instr()", "select regexp_instr('aa', 'a')"),
    "regexp_like": Feature(15, "regexp_like()", "select regexp_like('aa', 'a')"),
    "regexp_substr": Feature(15, "regexp_substr()", "select regexp_substr('aa', 'a')"),
    "any_value": Feature(16, "any_value()", "select any_value(x) from (values (1)) v(x)"),
    "array_sample": Feature(16, "array_sample()", "select array_sample(array[1, 2, 3], 2)"),
    "array_shuffle": Feature(16, "array_shuffle()", "select array_shuffle(array[1, 2, 3])"),
    "random_normal": Feature(16, "random_normal()", "select random_normal()"),
    "pg_input_is_valid": Feature(
        16, "pg_input_is_valid()", "select pg_input_is_valid('1', 'integer')"
    ),
    "pg_input_error_info": Feature(
        16, "pg_input_error_info()", "select * from pg_input_error_info('x', 'integer')"
    ),
    "date_add": Feature(
        16, "date_add()", "select date_add('2024-01-01'::timestamptz, interval '1 day')"
    ),
    "date_subtract": Feature(
        16, "date_subtract()", "select date_subtract('2024-01-01'::timestamptz, interval '1 day')"
    ),
    "erf": Feature(16, "erf()", "select erf(0.5)"),
    "erfc": Feature(16, "erfc()", "select erfc(0.5)"),
    "system_user": Feature(16, "SYSTEM_USER", "select system_user"),
    "to_bin": Feature(17, "to_bin()", "select to_bin(5)"),
    "to_oct": Feature(17, "to_oct()", "select to_oct(5)"),
    "uuid_extract_timestamp": Feature(
        17,
        "uuid_extract_timestamp()",
        "select uuid_extract_timestamp('019535d9-3df7-79fb-b466-fa907fa17f9e')",
    ),
    "uuid_extract_version": Feature(
        17, "uuid_extract_version()", "select uuid_extract_version(gen_random_uuid())"
    ),
    "pg_basetype": Feature(17, "pg_basetype()", "select pg_basetype('int4'::regtype)"),
    "uuidv7": Feature(18, "uuidv7()", "select uuidv7()"),
    "uuidv4": Feature(18, "uuidv4()", "select uuidv4()"),
    "random/2": Feature(18, "random(min, max)", "select random(1, 10)"),
    "casefold": Feature(18, "casefold()", "select casefold('A')"),
    "array_sort": Feature(18, "array_sort()", "select array_sort(array[2, 1])"),
    "array_reverse": Feature(18, "array_reverse()", "select array_reverse(array[2, 1])"),
    "crc32": Feature(18, "crc32()", "select crc32('abc'::bytea)"),
    "crc32c": Feature(18, "crc32c()", "select crc32c('abc'::bytea)"),
    "gamma": Feature(18, "gamma()", "select gamma(0.5)"),
    "lgamma": Feature(18, "lgamma()", "select lgamma(0.5)"),
}

# Syntax, by the parse node it makes.
SYNTAX: dict[str, Feature] = {
    "MergeStmt": Feature(
        15,
        "MERGE",
        "create temp table m (id int); "
        "merge into m using (values (1)) s(id) on m.id = s.id when matched then delete",
    ),
    "JsonIsPredicate": Feature(16, "IS JSON", "select '{}' is json"),
    "JsonObjectConstructor": Feature(16, "JSON_OBJECT(key: value)", "select json_object('a': 1)"),
    "JsonArrayConstructor": Feature(16, "JSON_ARRAY()", "select json_array(1, 2)"),
    "JsonArrayQueryConstructor": Feature(16, "JSON_ARRAY(query)", "select json_array(select 1)"),
    "JsonArrayAgg": Feature(
        16, "JSON_ARRAYAGG()", "select json_arrayagg(x) from (values (1)) v(x)"
    ),
    "JsonObjectAgg": Feature(
        16, "JSON_OBJECTAGG()", "select json_objectagg('k': x) from (values (1)) v(x)"
    ),
    "JsonTable": Feature(
        17,
        "JSON_TABLE",
        "select * from json_table('[{\"a\": 1}]', '$[*]' columns (a int path '$.a')) jt",
    ),
    "JsonFuncExpr": Feature(
        17, "JSON_EXISTS/JSON_QUERY/JSON_VALUE", "select json_value('{\"a\": 1}', '$.a')"
    ),
    "JsonScalarExpr": Feature(17, "JSON_SCALAR()", "select json_scalar(1)"),
    "JsonSerializeExpr": Feature(17, "JSON_SERIALIZE()", "select json_serialize('{}')"),
}

# Features read from a node's fields rather than its kind.
UNIQUE_NULLS_NOT_DISTINCT = Feature(
    15, "UNIQUE NULLS NOT DISTINCT", "create temp table u (a int unique nulls not distinct)"
)
MERGE_RETURNING = Feature(
    17,
    "MERGE ... RETURNING",
    "create temp table m (id int); merge into m using (values (1)) s(id) on m.id = s.id "
    "when not matched then insert values (s.id) returning *",
)
MERGE_NOT_MATCHED_BY_SOURCE = Feature(
    17,
    "MERGE ... WHEN NOT MATCHED BY SOURCE",
    "create temp table m (id int); merge into m using (values (1)) s(id) on m.id = s.id "
    "when not matched by source then delete",
)
VIRTUAL_GENERATED = Feature(
    18,
    "virtual generated columns",
    "create temp table g (a int, b int generated always as (a * 2) virtual)",
)
NOT_NULL_NOT_VALID = Feature(
    18,
    "NOT NULL ... NOT VALID",
    "create temp table n (a int); alter table n add constraint n_a not null a not valid",
)
# Settings, by name.
SETTINGS: dict[str, Feature] = {
    "transaction_timeout": Feature(
        17, "the transaction_timeout setting", "set transaction_timeout = 1000"
    ),
}

FIELD_FEATURES = (
    UNIQUE_NULLS_NOT_DISTINCT,
    MERGE_RETURNING,
    MERGE_NOT_MATCHED_BY_SOURCE,
    VIRTUAL_GENERATED,
    NOT_NULL_NOT_VALID,
)
ALL_FEATURES: tuple[Feature, ...] = (
    *FUNCTIONS.values(),
    *SYNTAX.values(),
    *FIELD_FEATURES,
    *SETTINGS.values(),
)


_FEATURE_NODES = frozenset({"FuncCall", "Constraint", "VariableSetStmt", *SYNTAX})


def features_used(nodes: list[tuple[str, Node]]) -> Iterator[tuple[Feature, Node]]:
    """Every feature of the table that a statement uses (``nodes``: its node index,
    :attr:`Statement.nodes`), with the node using it."""
    interesting = _FEATURE_NODES
    for kind, body in nodes:
        if kind not in interesting:
            continue
        if kind == "FuncCall":
            name = names(body.get("funcname"))
            if len(name) == 1 or (len(name) == 2 and name[0] == "pg_catalog"):
                arity = len(body.get("args") or [])
                found = FUNCTIONS.get(f"{name[-1]}/{arity}") or FUNCTIONS.get(name[-1])
                if found is not None:
                    yield found, body
        elif kind in SYNTAX:
            yield SYNTAX[kind], body
            if kind == "MergeStmt":
                yield from _merge_features(body)
        elif kind == "Constraint":
            if body.get("contype") == "CONSTR_UNIQUE" and body.get("nulls_not_distinct"):
                yield UNIQUE_NULLS_NOT_DISTINCT, body
            if body.get("contype") == "CONSTR_GENERATED" and body.get("generated_kind") == "v":
                yield VIRTUAL_GENERATED, body
            if body.get("contype") == "CONSTR_NOTNULL" and body.get("skip_validation"):
                yield NOT_NULL_NOT_VALID, body
        elif kind == "VariableSetStmt" and str(body.get("name", "")).lower() in SETTINGS:
            yield SETTINGS[str(body["name"]).lower()], body


def _merge_features(merge: Node) -> Iterator[tuple[Feature, Node]]:
    returning = merge.get("returningList") or (merge.get("returningClause") or {}).get("exprs")
    if returning:
        yield MERGE_RETURNING, merge
    for clause in merge.get("mergeWhenClauses") or []:
        when = clause.get("MergeWhenClause", {})
        if when.get("matchKind") == "MERGE_WHEN_NOT_MATCHED_BY_SOURCE":
            yield MERGE_NOT_MATCHED_BY_SOURCE, when


@rule(
    id="VER01",
    name="newer-than-the-platform",
    severity="error",
    message="This needs a newer PostgreSQL than the platform's major version",
    why="""The local engine can be newer than the platform (the embedded PostgreSQL 18 serves
    projects that need pgvector, whatever their platform major), so a migration that uses a
    function, syntax or setting a later major added applies locally and fails when it is
    pushed. The platform's major is [db] major_version of supabase/config.toml (15 where it
    is not set); the gate knows what each major from 15 to 18 added, from PostgreSQL's
    release notes.""",
    bad="create table public.events (id uuid primary key default uuidv7());",
    good="create table public.events (id uuid primary key default gen_random_uuid());",
    fix="Use what the platform's major has (gen_random_uuid() for uuidv7(), a function of "
    "your own), or upgrade the project's PostgreSQL and set [db] major_version to match.",
    in_function_bodies=True,
    cases=[
        flags(
            "select any_value(name) from (values ('a')) v(name);",
            "a PostgreSQL 16 aggregate",
        ),
        flags(
            "create view public.items as select * from json_table("
            "'[]', '$[*]' columns (a int path '$.a')) jt;",
            "JSON_TABLE is PostgreSQL 17",
        ),
        flags(
            "create table public.t (a int, b int generated always as (a * 2) virtual);",
            "virtual generated columns are PostgreSQL 18",
        ),
        flags(
            "create function public.new_id() returns uuid language sql as $$ select uuidv7() $$;",
            "a SQL function's body is checked too (PostgreSQL checks it at creation)",
        ),
        passes(
            "select public.uuidv7();",
            "a function of the project's own, called by its schema",
        ),
        passes(
            "select any_value(name) from public.people;",
            "the project declared its own any_value aggregate, as projects on 15 do",
            given="create aggregate public.any_value(anyelement) "
            "(sfunc = public.first_value_agg, stype = anyelement);",
        ),
        passes(
            "select random(), json_object('{a,1}'), json_build_object('a', 1);",
            "what PostgreSQL 15 already had",
        ),
    ],
)
def newer_than_the_platform(ctx: StatementContext) -> Iterator[Hit]:
    platform = ctx.options.postgres_version
    seen: set[str] = set()
    used = list(features_used(ctx.statement.nodes))
    if ctx.kind == "CreateFunctionStmt":
        language, body = language_and_body(ctx.node.get("options") or [])
        if language == "sql" and body:
            used += [
                (feature, {})
                for inner in split_statements(body)
                for feature, _ in features_used(inner.nodes)
            ]
    for feature, node in used:
        if feature.major <= platform or feature.what in seen:
            continue
        if _declared_function(ctx, feature):
            continue
        seen.add(feature.what)
        yield ctx.hit_at(
            node,
            f"{feature.what} was added in PostgreSQL {feature.major}; the platform runs "
            f"PostgreSQL {platform} ([db] major_version), where this fails",
        )


def _declared_function(ctx: StatementContext, feature: Feature) -> bool:
    """A function the migrations declare under the feature's name (a uuidv7() of the
    project's own, in public) shadows the built-in one only where it is found first; count
    it as the project's."""
    name = feature.what.partition("(")[0]
    return any(key[-1] == name for key in ctx.model.functions)
