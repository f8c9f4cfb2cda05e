"""The direction of imports in scripts/dbflow, as docs/architecture.md draws it.

A module may import from its own layer and the layers below it, never above: this test reads
every import statement (function-level ones included) and fails on one that runs upwards.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "scripts" / "dbflow"

# Lowest first. A module belongs to the first layer whose prefix matches its name.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base",
        (
            "dbflow.errors",
            "dbflow.redact",
            "dbflow.urls",
            "dbflow.config",
            "dbflow.progress",
            "dbflow.platform_schemas",
            "dbflow.connection",
            "dbflow.webhook",
            "dbflow.report",
        ),
    ),
    ("engine", ("dbflow.engine", "dbflow.bootstrap")),
    ("sql and catalog", ("dbflow.sql", "dbflow.catalog")),
    ("migrations", ("dbflow.migrations",)),
    ("places", ("dbflow.places",)),
    ("domains", ("dbflow.seed", "dbflow.validate", "dbflow.schema")),
    ("checks", ("dbflow.checks",)),
    ("workflows", ("dbflow.workflows",)),
    ("entry points", ("dbflow.tasks", "dbflow.cli", "dbflow.testing")),
]  # fmt: skip  (one layer per line reads as the picture in docs/architecture.md)


def layer_of(module: str) -> int | None:
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return index
    return None


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return [(line, name) for line, name in found if name.startswith("dbflow.")]


def test_every_module_has_a_layer() -> None:
    unplaced = [
        module_name(path)
        for path in PACKAGE.rglob("*.py")
        if module_name(path) != "dbflow" and layer_of(module_name(path)) is None
    ]
    assert unplaced == [], "give these modules a layer in LAYERS and docs/architecture.md"


def test_no_module_imports_one_above_it() -> None:
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = layer_of(module_name(path))
        if own is None:
            continue
        for line, imported in imports(path):
            target = layer_of(imported)
            if target is not None and target > own:
                upward.append(
                    f"{path.relative_to(PACKAGE.parent)}:{line}: {LAYERS[own][0]} imports "
                    f"{imported} ({LAYERS[target][0]})"
                )
    assert upward == [], "\n".join(upward)


def test_the_architecture_page_names_every_layer() -> None:
    page = (PACKAGE.parents[1] / "docs" / "architecture.md").read_text(encoding="utf-8")
    for name, prefixes in LAYERS:
        assert name in page, name
        for prefix in prefixes:
            assert prefix.removeprefix("dbflow.") in page, prefix


def test_at_most_ten_modules_lie_loose() -> None:
    """Only the base's modules lie loose in the package: the folders are the layers' rooms."""
    loose = sorted(path.stem for path in PACKAGE.glob("*.py") if path.name != "__init__.py")
    assert len(loose) <= 10, loose


def test_no_function_is_over_80_lines() -> None:
    long = [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}"
        f" ({node.end_lineno - node.lineno + 1} lines)"
        for path in sorted(PACKAGE.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > 80
    ]
    assert long == [], "\n".join(long)
