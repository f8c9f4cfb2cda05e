"""A newcomer's first hour: the assistant guardrails, the hooks, and the documented workflow."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dbflow.tasks import ns
from dbflow.testing.plugin import free_port, scratch_dir

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
INV_MENTION = re.compile(r"`(inv db\.[^`]+)`")  # commands quoted in markdown, not SQL


def _task_flags() -> dict[str, set[str]]:
    db = ns.collections["db"]
    return {
        name: {f"--{names[0]}" for names in (arg.names for arg in task.get_arguments())}
        for name, task in db.tasks.items()
    }


@pytest.mark.parametrize(
    "path", sorted((REPO / ".claude" / "commands").glob("*.md")), ids=lambda p: p.name
)
def test_assistant_commands_use_real_tasks_and_flags(path: Path) -> None:
    flags = _task_flags()
    mentions = INV_MENTION.findall(path.read_text(encoding="utf-8"))
    assert mentions, f"{path.name} mentions no inv command"
    for mention in mentions:
        words = mention.split()
        task = words[1].removeprefix("db.")
        assert task in flags, f"{path.name}: {mention}: no task db.{task}"
        for word in words[2:]:
            if word.startswith("--"):
                assert word.split("=")[0] in flags[task], f"{path.name}: {mention}: no {word}"


@pytest.mark.parametrize(
    "name", ["db-create-migration.md", "db-validate-migration.md", "db-seed-dev.md"]
)
def test_guardrails_are_present(name: str) -> None:
    text = (REPO / ".claude" / "commands" / name).read_text(encoding="utf-8")
    assert "inv db.validate" in text or "inv db.seed-dev --dry-run" in text
    assert "docs/wiki/" in text or name == "db-seed-dev.md"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.test", "-c", "user.name=t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_pre_commit_hook_blocks_a_bad_staged_migration(tmp_path: Path) -> None:
    pre_commit = BIN / "pre-commit"
    if not pre_commit.exists():
        pytest.skip("pre-commit is not installed")
    for config in (".pre-commit-config.yaml",):
        checked = subprocess.run(
            [str(pre_commit), "validate-config", str(REPO / config)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
    manifest = subprocess.run(
        [str(pre_commit), "validate-manifest", str(REPO / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert manifest.returncode == 0, manifest.stdout + manifest.stderr
    project = tmp_path / "app"
    shutil.copytree(REPO / "supabase", project / "supabase")
    shutil.copy(REPO / ".pre-commit-config.yaml", project)
    (project / "pyproject.toml").write_text("[tool.dbflow]\n")
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
    }
    bad = project / "supabase" / "migrations" / "20250601000000_drop_skills.sql"
    bad.write_text("drop table public.skills;\n")
    _git(project, "add", str(bad))
    blocked = subprocess.run(
        [str(pre_commit), "run", "dbflow-validate", "--files", str(bad.relative_to(project))],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "DAT01" in blocked.stdout
    bad.write_text("comment on table public.skills is 'Skill names.';\n")
    _git(project, "add", str(bad))
    passed = subprocess.run(
        [str(pre_commit), "run", "dbflow-validate", "--files", str(bad.relative_to(project))],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_newcomer_follows_database_migrations_md() -> None:
    """The steps of docs/wiki/database-migrations.md, literally, on a copy of the project."""
    guide = (REPO / "docs" / "wiki" / "database-migrations.md").read_text(encoding="utf-8")
    for step in (
        "inv db.new add_projects --template table",
        "inv db.validate",
        "inv db.reset",
        "inv db.list",
    ):
        assert step in guide, f"the guide no longer says {step!r}"
    root = scratch_dir("dbflow-newcomer-")
    try:
        for item in ("supabase", "seeds"):
            shutil.copytree(REPO / item, root / item)
        (root / "pyproject.toml").write_text(f"[tool.dbflow]\nport = {free_port()}\n")
        (root / "tasks.py").write_text("from dbflow.tasks import ns  # noqa: F401\n")
        inv = str(BIN / "inv")

        def run(*command: str) -> subprocess.CompletedProcess[str]:
            env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
            result = subprocess.run(
                [inv, *command],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert result.returncode == 0, (
                f"inv {' '.join(command)}:\n{result.stdout}{result.stderr}"
            )
            return result

        created = run("db.new", "add_projects", "--template", "table").stdout.strip()
        assert created.endswith("_add_projects.sql")
        run("db.validate")
        run("db.reset")
        run("db.seed-dev", "--rows", "projects=5")
        listed = run("db.list").stdout
        assert "add_projects" in listed and "pending" not in listed
        run("db.stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)
