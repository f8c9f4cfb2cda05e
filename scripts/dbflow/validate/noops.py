"""Statements the history proves do nothing: an IF NOT EXISTS of what exists already.

``CREATE TABLE IF NOT EXISTS`` of a table an earlier statement (or the platform) made creates
none of its columns, constraints or indexes; ``ADD COLUMN IF NOT EXISTS`` of a column there
adds nothing. Such a statement is neither checked nor replayed, as a statement a DO block's
guard is known to skip (:mod:`dbflow.validate.guards`). Where the model does not know the
object, the statement is checked as written.
"""

from __future__ import annotations

from dbflow.sql.tree import Node, alter_commands, qualified, qualified_from_names
from dbflow.validate.declared import DeclaredSchema


def does_nothing(kind: str, node: Node, model: DeclaredSchema) -> bool:
    """True when the statement is an IF NOT EXISTS of an object the model has."""
    if kind == "AlterTableStmt":
        return _adds_nothing(node, model)
    if kind == "AlterEnumStmt":
        labels = model.types.get(qualified_from_names(node.get("typeName")), ())
        return bool(node.get("skipIfNewValExists")) and node.get("newVal") in labels
    if not node.get("if_not_exists"):
        return False
    if kind == "CreateStmt":
        return qualified(node.get("relation")) in model.tables
    if kind == "CreateSchemaStmt":
        return node.get("schemaname") in model.schemas
    if kind == "IndexStmt":
        name = node.get("idxname")
        schema = qualified(node.get("relation"))[0]
        return bool(name) and (schema, name) in model.index_tables
    if kind == "CreateExtensionStmt":
        return node.get("extname") in model.extensions
    if kind == "CreateSeqStmt":
        return qualified(node.get("sequence")) in model.sequences
    return False


def _adds_nothing(node: Node, model: DeclaredSchema) -> bool:
    """ALTER TABLE whose every command is ADD COLUMN IF NOT EXISTS of a column there."""
    table = model.tables.get(qualified(node.get("relation")))
    commands = alter_commands(node)
    if table is None or not commands:
        return False
    for command in commands:
        column = (command.get("def") or {}).get("ColumnDef", {}).get("colname")
        if not (
            command.get("subtype") == "AT_AddColumn"
            and command.get("missing_ok")
            and column in table.columns
        ):
            return False
    return True
