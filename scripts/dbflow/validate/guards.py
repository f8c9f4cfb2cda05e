"""IF [NOT] EXISTS guards in DO blocks, evaluated against the declared schema.

Migrations often wrap a statement in ``IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE
conname = '...') THEN ... END IF``. Where the guard asks the catalog about an object the
history declares (or never declared), its answer is known, and a statement whose branch
cannot run is neither checked nor replayed. A guard that cannot be read keeps the statement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from dbflow.sql.parse import parse_expression
from dbflow.sql.tree import Node, names, qualified, string_value
from dbflow.validate.declared import DeclaredSchema

Lookup = Callable[[DeclaredSchema, dict[str, str]], bool | None]


def runs(guards: Iterable[tuple[str, bool]], model: DeclaredSchema) -> bool:
    """False when a guard around the statement is known to keep it from running."""
    for condition, branch in guards:
        answer = evaluate(condition, model)
        if answer is not None and answer != branch:
            return False
    return True


def evaluate(condition: str, model: DeclaredSchema) -> bool | None:
    """The value of an [NOT] EXISTS (SELECT ... FROM <catalog> WHERE col = 'x' AND ...)
    condition against ``model``, or None when it cannot be known."""
    if not condition:
        return None
    expression = parse_expression(condition)
    negated = False
    boolean = (expression or {}).get("BoolExpr", {})
    if boolean.get("boolop") == "NOT_EXPR" and len(boolean.get("args") or []) == 1:
        expression, negated = boolean["args"][0], True
    sublink = (expression or {}).get("SubLink", {})
    if sublink.get("subLinkType") != "EXISTS_SUBLINK":
        return None
    select = sublink.get("subselect", {}).get("SelectStmt", {})
    sources = select.get("fromClause") or []
    if len(sources) != 1 or "RangeVar" not in sources[0]:
        return None
    schema, relation = qualified(sources[0], default_schema="pg_catalog")
    lookup = _LOOKUPS.get((schema, relation))
    equalities = _equalities(select.get("whereClause"))
    if lookup is None or equalities is None:
        return None
    found = lookup(model, equalities)
    return None if found is None else found != negated


def _equalities(where: Node | None) -> dict[str, str] | None:
    """column -> value of a WHERE made of ``column = 'value'`` terms joined by AND (a
    ``'name'::regclass`` value included); None for anything else."""
    terms = [where] if where else []
    boolean = (where or {}).get("BoolExpr", {})
    if boolean:
        if boolean.get("boolop") != "AND_EXPR":
            return None
        terms = boolean.get("args") or []
    found: dict[str, str] = {}
    for term in terms:
        expression = term.get("A_Expr", {})
        if names(expression.get("name")) != ["="]:
            return None
        column = names(expression.get("lexpr", {}).get("ColumnRef", {}).get("fields"))
        value_node = expression.get("rexpr", {})
        cast = value_node.get("TypeCast")
        value = string_value(cast.get("arg") if cast else value_node)
        if not column or value is None:
            return None
        found[column[-1]] = value
    return found


def _only(equalities: dict[str, str], *known: str) -> bool:
    return set(equalities) <= set(known)


def _split(name: str) -> tuple[str, str]:
    schema, _, relation = name.rpartition(".")
    return (schema.strip('"') or "public", relation.strip('"'))


def _constraint(model: DeclaredSchema, where: dict[str, str]) -> bool | None:
    if not _only(where, "conname", "conrelid") or "conname" not in where:
        return None
    tables = list(model.tables.values())
    if "conrelid" in where:
        table = model.tables.get(_split(where["conrelid"]))
        tables = [table] if table else []
    return any(where["conname"] in table.constraints for table in tables)


def _column(model: DeclaredSchema, where: dict[str, str]) -> bool | None:
    if not _only(where, "table_schema", "table_name", "column_name") or "column_name" not in where:
        return None
    return any(
        where["column_name"] in table.columns
        and where.get("table_name", key[1]) == key[1]
        and where.get("table_schema", key[0]) == key[0]
        for key, table in model.tables.items()
    )


def _table(model: DeclaredSchema, where: dict[str, str]) -> bool | None:
    name = where.get("table_name") or where.get("tablename")
    schema = where.get("table_schema") or where.get("schemaname")
    if name is None or not _only(where, "table_name", "table_schema", "tablename", "schemaname"):
        return None
    return any(key[1] == name and schema in (None, key[0]) for key in model.tables)


def _policy(model: DeclaredSchema, where: dict[str, str]) -> bool | None:
    name = where.get("policyname") or where.get("polname")
    if name is None or not _only(where, "policyname", "polname", "tablename", "schemaname"):
        return None
    return any(
        name in table.policies
        and where.get("tablename", key[1]) == key[1]
        and where.get("schemaname", key[0]) == key[0]
        for key, table in model.tables.items()
    )


def _trigger(model: DeclaredSchema, where: dict[str, str]) -> bool | None:
    if not _only(where, "tgname") or "tgname" not in where:
        return None
    return any(where["tgname"] in table.triggers for table in model.tables.values())


def _type(model: DeclaredSchema, where: dict[str, str]) -> bool | None:
    if not _only(where, "typname") or "typname" not in where:
        return None
    return any(key[1] == where["typname"] for key in model.types)


def _schema(model: DeclaredSchema, where: dict[str, str]) -> bool | None:
    name = where.get("nspname") or where.get("schema_name")
    if name is None or not _only(where, "nspname", "schema_name"):
        return None
    return name in model.schemas


def _extension(model: DeclaredSchema, where: dict[str, str]) -> bool | None:
    if not _only(where, "extname") or "extname" not in where:
        return None
    return where["extname"] in model.extensions


def _function(model: DeclaredSchema, where: dict[str, str]) -> bool | None:
    if not _only(where, "proname") or "proname" not in where:
        return None
    return any(key[1] == where["proname"] for key in model.functions)


def _index(model: DeclaredSchema, where: dict[str, str]) -> bool | None:
    if not _only(where, "indexname", "schemaname", "tablename") or "indexname" not in where:
        return None
    return any(
        key[1] == where["indexname"] and where.get("schemaname", key[0]) == key[0]
        for key in model.index_tables
    )


_LOOKUPS: dict[tuple[str, str], Lookup] = {
    ("pg_catalog", "pg_constraint"): _constraint,
    ("information_schema", "columns"): _column,
    ("information_schema", "tables"): _table,
    ("pg_catalog", "pg_tables"): _table,
    ("pg_catalog", "pg_policies"): _policy,
    ("pg_catalog", "pg_policy"): _policy,
    ("pg_catalog", "pg_trigger"): _trigger,
    ("pg_catalog", "pg_type"): _type,
    ("pg_catalog", "pg_namespace"): _schema,
    ("information_schema", "schemata"): _schema,
    ("pg_catalog", "pg_extension"): _extension,
    ("pg_catalog", "pg_proc"): _function,
    ("pg_catalog", "pg_indexes"): _index,
}
