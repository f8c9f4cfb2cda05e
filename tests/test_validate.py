"""The validator as a whole: history model, PL/pgSQL, suppressions, outputs, bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbflow.validate.cache_files import CACHE_FILE, REPORT_FILE, keep_file
from dbflow.validate.cache_writes import settled
from dbflow.validate.config import ValidateConfig
from dbflow.validate.docs import REFERENCE_PATH, render_reference
from dbflow.validate.options import Options
from dbflow.validate.pipeline import validate_files
from dbflow.validate.reporters import render
from tests.cli_helpers import INV, project_dir
from tests.cli_helpers import run as cli_run
from tests.validate_helpers import rule_ids, run, write_migrations

REPO = Path(__file__).resolve().parents[1]
TABLE = "create table public.t (id bigint primary key, a int);\n"
SECURE = (
    "alter table public.t enable row level security;\ncomment on table public.t is 'x';\n"
    'create policy "t: read" on public.t for select to authenticated using (true);\n'
)


def test_example_app_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dbflow.validate", "--format", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["findings"] == []
    assert document["summary"]["files"] == 5


def test_table_created_in_the_same_file_is_empty(tmp_path: Path) -> None:
    same_file = run(tmp_path / "a", TABLE + SECURE + "create index t_a_idx on public.t (a);\n")
    assert "LCK01" not in rule_ids(same_file)
    earlier_file = run(tmp_path / "b", TABLE + SECURE, "create index t_a_idx on public.t (a);\n")
    assert "LCK01" in rule_ids(earlier_file)


def test_rls_enabled_two_files_later_is_not_missing(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        TABLE + "comment on table public.t is 'x';\n",
        "select 1;\n",
        "alter table public.t enable row level security;\n",
    )
    assert "SEC01" not in rule_ids(report)
    never = run(tmp_path / "never", TABLE + "comment on table public.t is 'x';\n")
    assert [(f.rule_id, f.line) for f in never.findings if f.rule_id == "SEC01"] == [("SEC01", 1)]


def test_index_added_later_covers_the_foreign_key(tmp_path: Path) -> None:
    child = (
        "create table public.c (id bigint primary key, t_id bigint references public.t (id));\n"
        "alter table public.c enable row level security;\ncomment on table public.c is 'x';\n"
    )
    uncovered = run(tmp_path / "a", TABLE + SECURE, child)
    assert "PRF01" in rule_ids(uncovered)
    covered = run(tmp_path / "b", TABLE + SECURE, child, "create index c_t_id on public.c (t_id);")
    assert "PRF01" not in rule_ids(covered)


def test_report_only_judges_against_the_whole_history(tmp_path: Path) -> None:
    paths = write_migrations(tmp_path, TABLE + SECURE, "drop table public.t;\n")
    report = validate_files(paths, ValidateConfig(Options()), root=tmp_path, report_only={paths[1]})
    assert [(f.rule_id, f.path) for f in report.findings] == [("DAT01", paths[1].name)]
    first_only = validate_files(
        paths, ValidateConfig(Options()), root=tmp_path, report_only={paths[0]}
    )
    assert first_only.findings == []


def test_syntax_error_is_reported_and_the_rest_still_checked(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        TABLE + SECURE + "alter tabel public.t add column b int;\n"
        "drop table public.t;\ntruncate public.t;\n",
    )
    found = [(f.rule_id, f.line, f.column) for f in report.findings]
    assert ("TXN05", 5, 7) in found
    assert ("DAT05", 7, 1) in found


def test_statements_in_do_blocks_and_function_bodies_are_checked(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        TABLE + SECURE,
        "do $$\nbegin\n  delete from public.t;\n  execute 'select 1';\nend\n$$;\n"
        "create function public.f() returns void language plpgsql set search_path = '' as $$\n"
        "begin\n  perform 1;\n  insert into public.t (id, a) values (1, 2);\n"
        "  update public.t set a = 0 where a = 'sk_live_51Habcdefghijklmnopqrstu';\nend;\n$$;\n",
    )
    found = [(f.rule_id, f.line) for f in report.findings]
    assert ("DAT06", 3) in found
    assert ("TXN08", 4) in found
    assert ("HYG01", 11) in found


def test_suppressions(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        TABLE + SECURE,
        "-- dbflow: ignore DAT01 rebuilt by the nightly import\n"
        "drop table public.t;\n"
        "-- dbflow: ignore-file STY04 legacy column kept for the mobile app\n"
        "create table public.u (id bigint primary key, at timestamp);\n"
        "alter table public.u enable row level security;\ncomment on table public.u is 'x';\n"
        "-- dbflow: ignore DAT99, LCK01 typo and an unused one\n"
        "select 1;\n",
    )
    found = [(f.rule_id, f.line, f.message) for f in report.findings if f.rule_id != "SEC03"]
    assert [rule for rule, _, _ in found] == ["SUP01", "SUP02"]
    assert found[0][1] == 7 and "DAT99" in found[0][2]
    assert found[1][1] == 7 and "LCK01" in found[1][2]


def test_baseline_hides_known_findings_only(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "supabase" / "migrations").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.dbflow]\n")
    write_migrations(project / "supabase" / "migrations", TABLE + SECURE, "drop table public.t;")
    baseline = project / "baseline.json"
    assert _cli(project, "--write-baseline", str(baseline)).returncode == 0
    assert _cli(project, "--baseline", str(baseline)).returncode == 0
    write_migrations(
        project / "supabase" / "migrations",
        ("20250101000300_more.sql", "truncate public.t;"),
    )
    again = _cli(project, "--baseline", str(baseline), "--format", "json")
    assert again.returncode == 1
    assert [f["rule"] for f in json.loads(again.stdout)["findings"]] == ["DAT05"]


def _cli(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dbflow.validate", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "supabase" / "migrations").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.dbflow]\n")
    write_migrations(root / "supabase" / "migrations", TABLE + SECURE)
    return root


def test_exit_codes_and_fail_on(project: Path) -> None:
    assert _cli(project).returncode == 0
    write_migrations(
        project / "supabase" / "migrations",
        ("20250101000100_warn.sql", "alter table public.t alter column a set not null;"),
    )
    assert _cli(project).returncode == 0
    assert _cli(project, "--fail-on", "warning").returncode == 1
    write_migrations(
        project / "supabase" / "migrations",
        ("20250101000200_err.sql", "alter table public.t drop column a;"),
    )
    assert _cli(project).returncode == 1


def test_config_errors_exit_2_with_a_clear_line(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.dbflow]\n[tool.dbflow.validate]\nrules = { NOPE1 = "off" }\n'
    )
    result = _cli(project)
    assert result.returncode == 2
    assert "unknown rule id 'NOPE1' in [tool.dbflow.validate.rules]" in result.stderr
    assert "Traceback" not in result.stderr
    (project / "pyproject.toml").write_text(
        '[tool.dbflow]\n[tool.dbflow.validate]\nrules = { STY04 = "loud" }\n'
    )
    assert _cli(project).returncode == 2
    (project / "pyproject.toml").write_text("[tool.dbflow]\n")
    missing = _cli(project, "no/such/file.sql")
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_rule_levels_from_config(project: Path) -> None:
    write_migrations(
        project / "supabase" / "migrations",
        ("20250101000100_x.sql", "alter table public.t drop column a;"),
    )
    (project / "pyproject.toml").write_text(
        '[tool.dbflow]\n[tool.dbflow.validate]\nrules = { DAT02 = "warning" }\n'
    )
    assert _cli(project).returncode == 0
    (project / "pyproject.toml").write_text(
        '[tool.dbflow]\n[tool.dbflow.validate]\nrules = { DAT02 = "off" }\n'
    )
    result = _cli(project, "--format", "json")
    assert json.loads(result.stdout)["findings"] == []


def test_since_reports_only_changed_files(project: Path) -> None:
    git = ["git", "-c", "user.email=t@example.test", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=project, check=True)
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=project, check=True)
    write_migrations(
        project / "supabase" / "migrations",
        ("20250101000100_new.sql", "truncate public.t;"),
    )
    result = _cli(project, "--since", "HEAD", "--format", "json")
    document = json.loads(result.stdout)
    assert [f["file"] for f in document["findings"]] == [
        "supabase/migrations/20250101000100_new.sql"
    ]
    assert _cli(project, "--since", "no-such-ref").returncode == 2


def test_output_formats(tmp_path: Path) -> None:
    report = run(tmp_path, TABLE + SECURE, "drop table public.t;\n")
    text = render(report, "text", tmp_path)
    assert "20250101000100_m1.sql:1:1: error DAT01 drop-table:" in text
    assert "    1 | drop table public.t;" in text
    assert "fix: " in text and "docs/wiki/validation-rules.md#dat01" in text
    document = json.loads(render(report, "json", tmp_path))
    assert document["schema"] == "dbflow.validate/1"
    assert document["summary"]["error"] == 1
    assert set(document["findings"][0]) == {
        "rule",
        "name",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "statement",
        "fix",
        "fingerprint",
    }
    github = render(report, "github", tmp_path).splitlines()
    assert github[0].startswith(
        "::error file=20250101000100_m1.sql,line=1,col=1,title=DAT01 drop-table::"
    )
    sarif = json.loads(render(report, "sarif", tmp_path))
    assert sarif["version"] == "2.1.0"
    result = sarif["runs"][0]["results"][0]
    assert result["ruleId"] == "DAT01" and result["level"] == "error"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 1, "startColumn": 1}
    rule_ids_in_driver = [rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]]
    assert rule_ids_in_driver[result["ruleIndex"]] == "DAT01"


def test_github_format_is_the_default_under_github_actions(project: Path) -> None:
    write_migrations(
        project / "supabase" / "migrations", ("20250101000100_x.sql", "truncate public.t;")
    )
    result = _cli(project, env={"GITHUB_ACTIONS": "true"})
    assert result.stdout.startswith("::error file=supabase/migrations/20250101000100_x.sql")


def test_rule_reference_is_up_to_date() -> None:
    assert (REPO / REFERENCE_PATH).read_text(encoding="utf-8") == render_reference(), (
        "docs/wiki/validation-rules.md is stale: run inv db.validate-docs"
    )


def test_duplicate_versions(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        ("20250101000000_a.sql", TABLE + SECURE),
        ("20250101000000_b.sql", "select 1;"),
    )
    assert rule_ids(report).count("HYG05") == 2


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "HYG06"),
        (b"-- only a comment\n/* and another */\n", "HYG06"),
        (b"\xff\xfe not utf-8", "HYG07"),
        (b"select 1;\x00\x01binary", "HYG07"),
        (b"do $$ begin perform 1;", "TXN05"),
        (b"select 1; /* never closed", "TXN05"),
        (b"select 'never closed;", "TXN05"),
    ],
)
def test_bad_files_are_findings_not_crashes(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "20250101000000_bad.sql"
    path.write_bytes(content)
    report = validate_files([path], ValidateConfig(Options()), root=tmp_path)
    assert expected in rule_ids(report)


def test_deeply_nested_expression(tmp_path: Path) -> None:
    sql = "select " + "(" * 3000 + "1" + ")" * 3000 + ";\n"
    report = run(tmp_path, sql)
    assert all(f.rule_id in ("TXN05",) for f in report.findings)


def test_five_megabyte_file(tmp_path: Path) -> None:
    statement = "insert into public.t (id, a) values (1, 2);\n"
    sql = TABLE + SECURE + statement * (5_000_000 // len(statement))
    report = run(tmp_path, sql)
    assert report.findings == []
    assert report.statements > 100_000


SQL_FRAGMENTS = [
    "create table public.t (id int)",
    "drop table t",
    "alter table t add column a int not null",
    "create index i on t (a)",
    "do $$ begin execute 'x'; end $$",
    "create policy p on t",
    "select ((1",
    "'unterminated",
    "$$",
    "/*",
    "--",
    ";",
    "begin",
    "commit",
    "grant all on t to anon",
    "create function f() returns int language plpgsql as $$ begin return 1; end $$",
    "insert into t values ('a@gmail.com')",
    "\x00",
    "é",
    "create view v as select 1",
]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.one_of(st.sampled_from(SQL_FRAGMENTS), st.text(max_size=40)), min_size=0, max_size=12
    )
)
def test_fuzz_never_raises(tmp_path: Path, pieces: list[str]) -> None:
    path = tmp_path / "20250101000000_fuzz.sql"
    path.write_text(" ".join(pieces), encoding="utf-8", errors="surrogatepass")
    validate_files([path], ValidateConfig(Options()), root=tmp_path)


def test_cached_runs_give_the_same_findings(project: Path) -> None:
    folder = project / "supabase" / "migrations"
    write_migrations(
        folder,
        ("20250101000100_a.sql", "alter table public.t drop column a;"),
        ("20250101000200_b.sql", "create index t_id_idx on public.t (id);"),
    )

    def findings() -> list[tuple[str, str, int]]:
        result = _cli(project, "--format", "json")
        return [(f["rule"], f["file"], f["line"]) for f in json.loads(result.stdout)["findings"]]

    cold = findings()
    with settled(project / ".dbflow" / "cache"):  # written after the report, detached
        assert (project / ".dbflow" / "cache" / "validate.json").is_file()
    assert findings() == cold  # warm: nothing re-parsed
    write_migrations(folder, ("20250101000300_c.sql", "truncate public.t;"))
    appended = findings()
    assert appended == [*cold, ("DAT05", "supabase/migrations/20250101000300_c.sql", 1)]
    (folder / "20250101000100_a.sql").write_text("select 1;\n")  # an earlier file changed
    assert ("DAT02", "supabase/migrations/20250101000100_a.sql", 1) not in findings()


def test_the_caches_are_written_after_the_report_and_the_next_run_waits_for_them(
    project: Path,
) -> None:
    """The command prints its report and ends; a detached writer keeps the caches. A run
    right after reads them whole (it waits for the writer), so it answers from the report."""
    write_migrations(
        project / "supabase" / "migrations",
        ("20250101000100_a.sql", "alter table public.t drop column a;"),
    )
    folder = project / ".dbflow" / "cache"
    first = _cli(project, "--format", "json")
    second = _cli(project, "--format", "json")
    assert json.loads(first.stdout)["findings"] == json.loads(second.stdout)["findings"] != []
    with settled(folder):
        assert (folder / CACHE_FILE).is_file() and (folder / REPORT_FILE).is_file()
        assert not list(folder.glob("*.partial"))
    shutil.rmtree(folder)
    inline = _cli(project, "--format", "json", env={"DBFLOW_CACHE_WRITES": "inline"})
    assert json.loads(inline.stdout)["findings"] == json.loads(first.stdout)["findings"]
    assert (folder / CACHE_FILE).is_file()  # written before the command ended


def test_a_cache_written_after_its_folder_was_removed_brings_nothing_back(
    tmp_path: Path,
) -> None:
    gone = tmp_path / "project" / ".dbflow" / "cache"
    keep_file(gone / CACHE_FILE, b"{}", make_folder=False)
    assert not (tmp_path / "project").exists()
    keep_file(gone / CACHE_FILE, b"{}")
    assert (gone / CACHE_FILE).read_bytes() == b"{}" and not list(gone.glob("*.partial"))


def test_links_future_versions_and_versions_out_of_order_are_warned(tmp_path: Path) -> None:
    """A migration that is a symbolic link (to a file outside the project), a version in the
    future (which blocks db.new), and versions whose lengths make name order and time order
    disagree: each is a warning through inv db.validate, and db.up says so of a link."""
    outside = tmp_path / "elsewhere.sql"
    outside.write_text("create schema shared;\n")
    with project_dir("dbflow-hygiene-") as root:
        folder = root / "supabase" / "migrations"
        folder.mkdir(parents=True)
        (folder / "20250101000000_linked.sql").symlink_to(outside)
        (folder / "9_early.sql").write_text("create schema early;\n")
        (folder / "20990101000000_later.sql").write_text("create schema later;\n")
        result = cli_run(root, INV, "db.validate", "--format", "json")
        assert result.returncode == 0, result.stderr
        found = {f["rule"]: f for f in json.loads(result.stdout)["findings"]}
        assert found["HYG08"]["severity"] == "warning"
        assert str(outside) in found["HYG08"]["message"]
        assert found["HYG09"]["file"].endswith("20990101000000_later.sql")
        assert found["HYG10"]["severity"] == "warning"
        up = cli_run(root, INV, "db.up")
        assert up.returncode == 0, up.stderr
        assert f"20250101000000_linked.sql is a symbolic link to {outside}" in up.stderr


# The plan's own acceptance list ("should warn"), each as a migration of its own, and the
# production e-mail its CI script refuses: every one is at least a warning.
PLAN_CHECKS = {
    "DAT01": "drop table public.users;",
    "SEC01": "create table public.articles (id uuid primary key);",
    "PRF01": "create table public.comments (id uuid primary key, post_id uuid "
    "references public.posts (id));\nalter table public.comments enable row level security;",
    "LCK14": "alter table public.users alter column age type text;",
    "HYG03": "insert into public.users (id, email) values (1, 'jane.doe@sasarjan.com');",
}


def test_the_plans_checks_warn_through_inv() -> None:
    with project_dir("dbflow-plan-") as root:
        folder = root / "supabase" / "migrations"
        folder.mkdir(parents=True)
        (folder / "20250101000000_base.sql").write_text(
            "create table public.users (id bigint primary key, email text, age int);\n"
            "alter table public.users enable row level security;\n"
            "create table public.posts (id uuid primary key);\n"
            "alter table public.posts enable row level security;\n"
        )
        found: dict[str, str] = {}
        for number, (rule_id, sql) in enumerate(PLAN_CHECKS.items(), start=1):
            path = folder / f"2025010200{number:04d}_{rule_id.lower()}.sql"
            path.write_text(sql + "\n")
            result = cli_run(root, INV, "db.validate", "--file", str(path), "--format", "json")
            findings = json.loads(result.stdout)["findings"]
            found[rule_id] = next(
                (f["severity"] for f in findings if f["rule"] == rule_id), "not reported"
            )
            path.unlink()
        assert found == {
            "DAT01": "error",
            "SEC01": "error",
            "PRF01": "warning",
            "LCK14": "warning",
            "HYG03": "error",
        }, found


def test_the_light_list_of_fixable_rules_is_the_fixers() -> None:
    from dbflow.validate.findings import FIXABLE_RULES
    from dbflow.validate.fixes import FIXERS

    assert frozenset(FIXERS) == FIXABLE_RULES


@pytest.mark.parametrize(
    ("sql", "masked"),
    [
        ("create role r login password 'hunter2';", "create role r login password '***';"),
        ("ALTER ROLE r PASSWORD E'x''y';", "ALTER ROLE r PASSWORD '***';"),
        ("alter role r pa\u017f\u017fword 'x';", "alter role r pa\u017f\u017fword '***';"),
        ("select vault.create_secret('s3cr3t', 'n');", "select vault.create_secret('***', '***');"),
        ("insert into public.t values ('password');", "insert into public.t values ('password');"),
        ("select 1;", "select 1;"),
    ],
)
def test_secrets_set_from_literals_are_masked_in_what_reports_show(sql: str, masked: str) -> None:
    from dbflow.redact import mask_sql_secrets

    assert mask_sql_secrets(sql) == masked


def test_the_readme_counts_the_rules_there_are() -> None:
    from dbflow.validate.rules import all_rules

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert f"({len(all_rules())} rules)" in readme
