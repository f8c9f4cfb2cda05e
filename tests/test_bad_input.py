"""Files nobody meant to write: every command answers with a clear error, never a traceback,
and the validator stays linear in its input whatever the input is."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_helpers import (
    DBFLOW,
    INV,
    REPO,
    assert_no_traceback,
    ctrl_c_reaches_it,
    project_dir,
    run,
)

DBFLOW_VALIDATE = str(Path(sys.executable).with_name("dbflow-validate"))
GOOD = "20250101000000_good.sql"


@pytest.fixture
def project() -> Iterator[Path]:
    with project_dir("dbflow-badinput-") as root:
        folder = root / "supabase" / "migrations"
        folder.mkdir(parents=True)
        (folder / GOOD).write_text("create table public.good (id int);\n")
        yield root


def migrations(project: Path) -> Path:
    return project / "supabase" / "migrations"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            "select 1;\nselect 'caf\xe9';\n".encode("latin-1"),
            "is not UTF-8 text (byte 0xe9 at line 2, column 12)",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is binary (it contains NUL bytes)"),
    ],
    ids=["latin-1", "binary"],
)
def test_a_file_that_is_not_utf8_text_is_named_by_every_command(
    project: Path, content: bytes, reason: str
) -> None:
    bad = migrations(project) / "20250102000000_bad.sql"
    bad.write_bytes(content)
    for command in (("db.up",), ("db.list",), ("db.reset", "--no-seed"), ("db.new", "next")):
        result = run(project, INV, *command)
        assert_no_traceback(result)
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        assert f"{bad}: the file {reason}" in result.stderr, (command, result.stderr)
    assert list(migrations(project).glob("*_next.sql")) == []


def test_a_byte_order_mark_is_not_sql(project: Path) -> None:
    (migrations(project) / "20250102000000_bom.sql").write_bytes(
        b"\xef\xbb\xbfcreate table public.with_bom (id int);\n"
    )
    result = run(project, INV, "db.up")
    assert result.returncode == 0, result.stderr
    assert "applied 2 migration(s)" in result.stdout


def test_empty_and_comment_only_files_are_announced(project: Path) -> None:
    (migrations(project) / "20250102000000_empty.sql").write_text("")
    (migrations(project) / "20250103000000_notes.sql").write_text("-- to do\n/* later */\n")
    result = run(project, INV, "db.up")
    assert result.returncode == 0, result.stderr
    for name in ("20250102000000_empty.sql", "20250103000000_notes.sql"):
        assert f"warning: {name} has no SQL statements (empty or comments only)" in result.stderr
    # Filled in after it was recorded empty: refused as an edit, with the way out.
    (migrations(project) / "20250103000000_notes.sql").write_text("create table public.n (i int);")
    refused = run(project, INV, "db.up")
    assert refused.returncode == 1
    assert "it was applied while it had no statements" in refused.stderr
    assert "inv db.repair 20250103000000 --status reverted" in refused.stderr


def test_an_unterminated_dollar_quote_is_reported_in_a_few_lines(project: Path) -> None:
    body = "".join(f"    perform {i};\n" for i in range(100_000))
    path = migrations(project) / "20250102000000_unterminated.sql"
    path.write_text(
        f"create function public.f() returns void language plpgsql as $$\nbegin\n{body}"
    )
    assert path.stat().st_size > 1_200_000
    result = run(project, INV, "db.up")
    assert_no_traceback(result)
    assert result.returncode == 1
    assert f"{path}:1:" in result.stderr and "unterminated dollar-quoted string" in result.stderr
    assert len(result.stderr) < 1000 and len(result.stderr.splitlines()) <= 4, result.stderr


def test_names_with_a_trailing_newline_are_refused(project: Path) -> None:
    for extra in (("add_x\n",), ("add_x", "--template", "column", "--column", "notes\n")):
        result = run(project, INV, "db.new", *extra)
        assert result.returncode == 1, result.stdout
        assert "is not a plain identifier" in result.stderr
    assert [path.name for path in migrations(project).iterdir()] == [GOOD]


_INSERT_ROWS = ",\n".join(f"({i}, 'value {i}')" for i in range(20_000))
HOSTILE = {
    "nested comments (400 KB)": "select 1;\n/*" + "/*" * 100_000 + " x " + "*/" * 100_001 + "\n",
    "operator run (200 KB)": "select 1 " + "+-" * 100_000 + ";\nselect 2;\n",
    "large insert with a typo": "create table public.t (a int, b text);\n"
    f"insert into public.t values {_INSERT_ROWS};\nselec 1;\n",
    "200,000 statements": "select 1;\n" * 200_000,
    "unterminated comment": "select 1;\n/* " + "x" * 300_000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_the_validator_answers_any_input_in_linear_time(project: Path, name: str) -> None:
    path = migrations(project) / "20250102000000_hostile.sql"
    path.write_text(HOSTILE[name])
    started = time.monotonic()
    result = run(project, DBFLOW_VALIDATE, "--format", "json", str(path))
    elapsed = time.monotonic() - started
    assert_no_traceback(result)
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["files"] == 1
    # Before the pre-lexer, the first two took 26-29 s, and the third crashed.
    assert elapsed < 20, f"{name}: {elapsed:.1f} s"


def test_push_validates_a_large_broken_file_without_crashing(
    project: Path, bare_db_url: str
) -> None:
    path = migrations(project) / "20250102000000_hostile.sql"
    path.write_text(HOSTILE["large insert with a typo"])
    result = run(
        project, INV, "db.push", "--target", "staging", env={"STAGING_DATABASE_URL": bare_db_url}
    )
    assert_no_traceback(result)
    assert result.returncode == 1
    assert "validation found" in result.stderr and "nothing was pushed" in result.stderr


def test_status_and_stop_do_not_read_the_migrations() -> None:
    """A migration that is not UTF-8 stops the commands that read migrations, with its name;
    db.status and db.stop read none, so they work."""
    with project_dir("dbflow-binary-migration-") as root:
        folder = root / "supabase" / "migrations"
        folder.mkdir(parents=True)
        (folder / "20250101000000_ok.sql").write_text("create schema private;\n")
        assert run(root, INV, "db.start").returncode == 0
        (folder / "20250102000000_binary.sql").write_bytes(b"select \xff\xfe;\n")
        status = run(root, INV, "db.status")
        assert_no_traceback(status)
        assert status.returncode == 0 and "running" in status.stdout, status.stderr
        stopped = run(root, INV, "db.stop")
        assert stopped.returncode == 0 and "stopped" in stopped.stdout, stopped.stderr
        up = run(root, INV, "db.up")
        assert up.returncode == 1 and "20250102000000_binary.sql" in up.stderr
        assert "not UTF-8" in up.stderr


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "supabase/config.toml",
            b"[db]\nmajor_version = 17\n[api\nschemas = ['x']\n",
            "supabase/config.toml: not valid TOML: Expected ']' at the end of a table "
            "declaration (at line 3, column 5)",
        ),
        ("supabase/config.toml", b"\xff\xfe[db]\n", "not UTF-8 text (byte 0xff at line 1"),
        (
            "supabase/config.toml",
            b"[db]\nmajor_version = '17'\n",
            "[db] major_version must be a whole number (15 or 17), not '17'",
        ),
        (".env", b"DBFLOW_PORT=1\n\x00\x01\x02", ".env: the file is binary"),
        (".env", b"A=1\n\xff\n", ".env: not UTF-8 text (byte 0xff at line 2, column 1)"),
        ("pyproject.toml", b"[tool.dbflow\n", "pyproject.toml: not valid TOML"),
    ],
)
def test_a_settings_file_that_cannot_be_read_is_one_line(
    name: str, content: bytes, expected: str
) -> None:
    with project_dir("dbflow-bad-settings-") as root:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        for command in (("db.status",), ("db.validate",), ("db.reset", "--no-seed")):
            result = run(root, INV, *command)
            assert_no_traceback(result)
            assert result.returncode != 0, (command, result.stdout)
            assert expected in result.stderr, (command, result.stderr)
            assert len(result.stderr.strip().splitlines()) <= 2, result.stderr


@pytest.mark.parametrize(
    "command",
    [(INV, "--list"), (DBFLOW, "--list"), (INV, "db.validate", "--format", "json"),
     (str(Path(sys.executable).with_name("dbflow-validate")), "--format", "json")],
    ids=["inv --list", "dbflow --list", "inv db.validate", "dbflow-validate"],
)  # fmt: skip
def test_a_reader_that_goes_away_is_no_traceback(command: tuple[str, ...]) -> None:
    """`... | head -1`: the reader is gone before the command writes; it ends quietly."""
    import subprocess

    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the command starts writing
    errors = process.stderr.read().decode()
    process.wait(timeout=120)
    assert "Traceback" not in errors, errors


@pytest.mark.parametrize("program", ["dbflow-validate", "dbflow"])
def test_ctrl_c_during_a_cold_validation_is_one_line_and_leaves_no_process(
    program: str,
) -> None:
    """Ctrl-C in the middle of a first run over 1,000 files (parsed ahead by a worker):
    no traceback, exit 130 or invoke's 1, and neither the worker nor a cache writer stays."""
    import signal
    import subprocess

    sys.path.insert(0, str(REPO / "benchmarks"))
    from validate import build_corpus

    executable = str(Path(sys.executable).with_name(program))
    command = [executable, "--format", "json"]
    if program == "dbflow":
        command = [executable, "db.validate", "--format", "json"]
    with project_dir("dbflow-interrupt-") as root:
        build_corpus(root, 1000)
        process = subprocess.Popen(
            command,
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=ctrl_c_reaches_it,
        )
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=120)
        assert "Traceback" not in errors, errors
        assert process.returncode in (0, 1, 130), (process.returncode, errors)
        if process.returncode == 130:
            assert errors.strip().splitlines()[-1] == "interrupted"
        deadline = time.monotonic() + 10
        while _processes_in(root) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _processes_in(root)


def _processes_in(folder: Path) -> list[int]:
    """Processes whose working directory is ``folder`` (a worker or writer left behind)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cwd").resolve() == folder.resolve():
                found.append(int(entry.name))
        except OSError:
            continue
    return found
