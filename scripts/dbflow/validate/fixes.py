"""Fixes: a hazard rewritten into its safe form, as text edits of the migration files.

Each fix replaces one statement of a migration and may add follow-up steps, migrations of
their own right after that file (a VALIDATE CONSTRAINT that must not share the transaction of
its NOT VALID add, a CREATE INDEX CONCURRENTLY that cannot run inside one). A fix is *safe*
when the schema the migrations build stays the same and nothing else changes but how the
statement locks; *unsafe* when it also changes behaviour (a backfill that fills existing
rows later, in another transaction). Where a hazard has no mechanical safe form, the reason
is given instead. Proving a fix (the same schema, the rule no longer firing) is the fix
workflow's job: this module only writes the text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from dbflow.sql.parse import Statement
from dbflow.sql.tree import Node, alter_commands, names, qualified, quote_ident
from dbflow.validate.effects_tables import default_constraint_name, first_column
from dbflow.validate.findings import Finding
from dbflow.validate.source import SourceFile

Applicability = Literal["safe", "unsafe"]


@dataclass(frozen=True)
class Step:
    """Statements for a migration of their own, run after the fixed file."""

    sql: str  # statements, each ending with ";"
    suffix: str  # what the new file's name says it does ("validate", "concurrently"...)
    alone: bool  # a statement that cannot run in a transaction: a file of its own


@dataclass(frozen=True)
class Fix:
    rule_id: str
    path: Path  # the file the finding is in
    line: int  # the finding's line
    title: str
    applicability: Applicability
    start: int  # the span of the file's text the fix replaces (character offsets)
    end: int
    text: str  # what replaces it ("" removes the statement)
    steps: tuple[Step, ...] = ()
    original: str = ""  # the statement it rewrites

    @property
    def statements(self) -> list[str]:
        """What the fix writes, statement by statement (to find its findings afterwards)."""
        written = [self.text, *(step.sql for step in self.steps)]
        return [part.strip() for text in written for part in text.split(";\n") if part.strip()]


@dataclass(frozen=True)
class NoFix:
    """A finding whose hazard has no automatic fix, and why."""

    rule_id: str
    path: Path
    line: int
    reason: str


Fixer = Callable[[Statement, SourceFile, Finding], "Fix | NoFix | None"]


def fixes_for(
    findings: Iterable[Finding], sources: Callable[[Path], SourceFile]
) -> list[Fix | NoFix]:
    """A fix (or the reason there is none) for each warning or error a fixer knows."""
    found: list[Fix | NoFix] = []
    done: set[tuple[str, Path, int]] = set()  # a fix rewrites a whole statement, once
    for finding in findings:
        fixer = FIXERS.get(finding.rule_id)
        if fixer is None or finding.severity == "info":
            continue
        path = Path(finding.path)
        source = sources(path)
        statement = _statement(source, finding)
        if statement is None or (finding.rule_id, source.path, statement.offset) in done:
            continue
        done.add((finding.rule_id, source.path, statement.offset))
        if statement.embedded:
            found.append(NoFix(finding.rule_id, source.path, finding.line, _EMBEDDED))
            continue
        fix = fixer(statement, source, finding)
        if isinstance(fix, Fix):
            fix = replace(fix, original=statement.text)
        if fix is not None:
            found.append(fix)
    return found


_EMBEDDED = "the statement is inside a DO block or a function body: rewrite it by hand"


def _statement(source: SourceFile, finding: Finding) -> Statement | None:
    wanted = " ".join(finding.statement.split())
    for statement in source.ordered:
        if " ".join(statement.text.split()) == wanted:
            return statement
    return None


def _deparse(text: str, change: Callable[[object], bool]) -> str | None:
    """``text`` parsed by PostgreSQL's parser, changed by ``change`` (False: no fix) and
    written back as SQL."""
    from pglast import parse_sql
    from pglast.stream import RawStream

    statements = parse_sql(text)
    if len(statements) != 1:
        return None
    node = statements[0].stmt
    if node is None or not change(node):
        return None
    return str(RawStream()(node))


def _through_semicolon(source: SourceFile, statement: Statement) -> int:
    """The offset just past the statement's semicolon and the rest of its line, when blank."""
    text = source.text
    end = statement.offset + len(statement.text)
    rest = text[end:]
    stripped = rest.lstrip(" \t")
    if stripped.startswith(";"):
        end += len(rest) - len(stripped) + 1
    line_end = text.find("\n", end)
    if line_end != -1 and not text[end:line_end].strip():
        end = line_end + 1
    return end


def _relation(statement: Statement) -> str:
    schema, name = qualified(statement.node.get("relation"))
    return f"{quote_ident(schema)}.{quote_ident(name)}"


def _top_level(source: SourceFile) -> list[Statement]:
    return [statement for statement in source.statements if not statement.embedded]


def fix_index(statement: Statement, source: SourceFile, finding: Finding) -> Fix | NoFix | None:
    """LCK01: CREATE INDEX CONCURRENTLY IF NOT EXISTS, in a migration of its own."""
    node = statement.node
    name = node.get("idxname") or _index_name(statement)

    def concurrently(tree: object) -> bool:
        tree.concurrent = True  # type: ignore[attr-defined]
        tree.if_not_exists = True  # type: ignore[attr-defined]
        tree.idxname = name  # type: ignore[attr-defined]
        return True

    sql = _deparse(statement.text, concurrently)
    if sql is None:
        return None
    title = "build the index with CREATE INDEX CONCURRENTLY, in a migration of its own"
    others = [item for item in _top_level(source) if item is not statement]
    if not others:
        end = statement.offset + len(statement.text)
        return Fix(
            finding.rule_id, source.path, finding.line, title, "safe", statement.offset, end, sql
        )
    later = [item for item in others if item.offset > statement.offset]
    if any(name in item.text for item in later):
        return NoFix(
            finding.rule_id,
            source.path,
            finding.line,
            f"a later statement of the file uses index {name}: move them together "
            "into a migration of their own",
        )
    step = Step(f"{sql};\n", "concurrently", alone=True)
    end = _through_semicolon(source, statement)
    return Fix(
        finding.rule_id,
        source.path,
        finding.line,
        title,
        "safe",
        statement.offset,
        end,
        "",
        (step,),
    )


def _index_name(statement: Statement) -> str:
    """The name PostgreSQL gives an unnamed index: table_columns_idx (ChooseIndexName)."""
    params = [item.get("IndexElem", {}) for item in statement.node.get("indexParams") or []]
    columns = tuple(param.get("name") or "expr" for param in params)
    table = qualified(statement.node.get("relation"))[1]
    return default_constraint_name(table, "u", columns).removesuffix("_key") + "_idx"


def fix_constraint(
    statement: Statement, source: SourceFile, finding: Finding
) -> Fix | NoFix | None:
    """LCK08: ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in the next migration."""
    commands = list(alter_commands(statement.node))
    if any(command.get("subtype") == "AT_AddColumn" for command in commands):
        return NoFix(
            finding.rule_id,
            source.path,
            finding.line,
            "the constraint is declared with ADD COLUMN: add the column first, then the "
            "constraint NOT VALID",
        )
    table = qualified(statement.node.get("relation"))[1]
    wanted = {  # command position -> the constraint's name (PostgreSQL's, when unnamed)
        position: _constraint_name(table, constraint)
        for position, command in enumerate(commands)
        if command.get("subtype") == "AT_AddConstraint"
        and (constraint := (command.get("def") or {}).get("Constraint", {})).get("contype")
        in ("CONSTR_CHECK", "CONSTR_FOREIGN")
        and not constraint.get("skip_validation")
    }

    def not_valid(tree: object) -> bool:
        for position, command in enumerate(getattr(tree, "cmds", None) or ()):
            if position in wanted:
                constraint = command.def_
                constraint.skip_validation = True
                constraint.initially_valid = False
                constraint.conname = wanted[position]
        return bool(wanted)

    sql = _deparse(statement.text, not_valid)
    if sql is None:
        return None
    relation = _relation(statement)
    step = "".join(
        f"ALTER TABLE {relation} VALIDATE CONSTRAINT {quote_ident(name)};\n"
        for name in wanted.values()
    )
    return Fix(
        finding.rule_id,
        source.path,
        finding.line,
        "add the constraint NOT VALID, and VALIDATE it in the next migration",
        "safe",
        statement.offset,
        statement.offset + len(statement.text),
        sql,
        (Step(step, "validate", alone=False),),
    )


def _constraint_name(table: str, constraint: Node) -> str:
    """The constraint's name: its own, or PostgreSQL's for an unnamed CHECK or FOREIGN KEY
    (table_column_check, table_column_fkey)."""
    if constraint.get("conname"):
        return str(constraint["conname"])
    if constraint.get("contype") == "CONSTR_FOREIGN":
        return default_constraint_name(table, "f", tuple(names(constraint.get("fk_attrs"))))
    return default_constraint_name(table, "c", first_column(constraint.get("raw_expr")))


def fix_set_not_null(
    statement: Statement, source: SourceFile, finding: Finding
) -> Fix | NoFix | None:
    """LCK12: CHECK (col IS NOT NULL) NOT VALID now; VALIDATE, SET NOT NULL and drop the
    CHECK in the next migration (SET NOT NULL then needs no scan)."""
    commands = list(alter_commands(statement.node))
    if len(commands) != 1 or commands[0].get("subtype") != "AT_SetNotNull":
        return NoFix(
            finding.rule_id,
            source.path,
            finding.line,
            "the statement does more than SET NOT NULL: give SET NOT NULL a statement "
            "of its own first",
        )
    column = commands[0].get("name", "")
    table = qualified(statement.node.get("relation"))[1]
    check = quote_ident(
        default_constraint_name(table, "c", (column,)).removesuffix("_check") + "_not_null"
    )
    relation, name = _relation(statement), quote_ident(column)
    text = f"ALTER TABLE {relation} ADD CONSTRAINT {check} CHECK ({name} IS NOT NULL) NOT VALID"
    step = (
        f"ALTER TABLE {relation} VALIDATE CONSTRAINT {check};\n"
        f"ALTER TABLE {relation} ALTER COLUMN {name} SET NOT NULL;\n"
        f"ALTER TABLE {relation} DROP CONSTRAINT {check};\n"
    )
    return Fix(
        finding.rule_id,
        source.path,
        finding.line,
        "prove NOT NULL with a CHECK added NOT VALID and validated in the next migration, "
        "where SET NOT NULL then needs no scan",
        "safe",
        statement.offset,
        statement.offset + len(statement.text),
        text,
        (Step(step, "not_null", alone=False),),
    )


def fix_volatile_default(
    statement: Statement, source: SourceFile, finding: Finding
) -> Fix | NoFix | None:
    """LCK15: add the column, set its default (new rows), backfill existing rows after."""
    commands = list(alter_commands(statement.node))
    column = (commands[0].get("def") or {}).get("ColumnDef", {}) if len(commands) == 1 else {}
    kinds = [item.get("Constraint", {}).get("contype") for item in column.get("constraints") or []]
    if not column or kinds != ["CONSTR_DEFAULT"]:
        return NoFix(
            finding.rule_id,
            source.path,
            finding.line,
            "the column is NOT NULL or has constraints besides its default: add it "
            "nullable, set the default, backfill in batches outside the migration, then "
            "add the constraints",
        )
    default: list[str] = []

    def without_default(tree: object) -> bool:
        from pglast.stream import RawStream

        definition = tree.cmds[0].def_  # type: ignore[attr-defined]
        default.append(str(RawStream()(definition.constraints[0].raw_expr)))
        definition.constraints = None
        return True

    added = _deparse(statement.text, without_default)
    if added is None:
        return None
    relation, name = _relation(statement), quote_ident(column.get("colname", ""))
    text = f"{added};\nALTER TABLE {relation} ALTER COLUMN {name} SET DEFAULT {default[0]}"
    step = f"UPDATE {relation} SET {name} = {default[0]} WHERE {name} IS NULL;\n"
    return Fix(
        finding.rule_id,
        source.path,
        finding.line,
        "add the column without its default, set the default for new rows, and backfill "
        "the existing rows in the next migration (unsafe: until then they hold NULL; on a "
        "large table backfill in batches outside the migrations instead)",
        "unsafe",
        statement.offset,
        statement.offset + len(statement.text),
        text,
        (Step(step, "backfill", alone=False),),
    )


def fix_rerunnable(
    statement: Statement, source: SourceFile, finding: Finding
) -> Fix | NoFix | None:
    """TXN04: IF NOT EXISTS on CREATE INDEX CONCURRENTLY, IF EXISTS on DROP INDEX
    CONCURRENTLY."""
    create = statement.kind == "IndexStmt"
    name = statement.node.get("idxname") or (_index_name(statement) if create else "")

    def robust(tree: object) -> bool:
        if create:
            tree.if_not_exists = True  # type: ignore[attr-defined]
            tree.idxname = name  # type: ignore[attr-defined]
        else:
            tree.missing_ok = True  # type: ignore[attr-defined]
        return True

    sql = _deparse(statement.text, robust)
    if sql is None:
        return None
    words = "IF NOT EXISTS" if create else "IF EXISTS"
    return Fix(
        finding.rule_id,
        source.path,
        finding.line,
        f"add {words}, so that a rerun after a failure succeeds",
        "safe",
        statement.offset,
        statement.offset + len(statement.text),
        sql,
    )


FIXERS: dict[str, Fixer] = {
    "LCK01": fix_index,
    "LCK08": fix_constraint,
    "LCK12": fix_set_not_null,
    "LCK15": fix_volatile_default,
    "TXN04": fix_rerunnable,
}
