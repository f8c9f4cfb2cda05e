"""Settings precedence, targets, URL validation, and that passwords never leak."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbflow.config import load_settings, resolve_target
from dbflow.errors import ConfigError, DbflowError
from dbflow.redact import redact_text, redact_url
from dbflow.urls import is_local_url, url_problem

SECRET = "hunter2-very-secret"


def _project(tmp_path: Path, table: str = "", dotenv: str = "") -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[tool.dbflow]\n{table}")
    if dotenv:
        (tmp_path / ".env").write_text(dotenv)
    return tmp_path


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(_project(tmp_path), environ={})
    assert settings.port == 54322
    assert settings.api_schemas == ("public",)
    assert settings.migrations_dir == tmp_path / "supabase" / "migrations"
    assert settings.data_dir == tmp_path / ".dbflow"
    assert settings.strict is False


def test_pyproject_then_dotenv_then_environment(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        'port = 6000\nmigrations_dir = "db/migrations"\napi_schemas = ["public", "api"]\n',
        "DBFLOW_PORT=6001\nDBFLOW_STRICT=true\n",
    )
    from_files = load_settings(root, environ={})
    assert from_files.port == 6001
    assert from_files.strict is True
    assert from_files.migrations_dir == root / "db" / "migrations"
    assert from_files.api_schemas == ("public", "api")
    assert load_settings(root, environ={"DBFLOW_PORT": "6002"}).port == 6002


def test_local_target_uses_the_engine_unless_database_url_is_set(tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert resolve_target(load_settings(root, environ={})).uses_local_engine
    url = "postgresql://postgres:postgres@127.0.0.1:54322/postgres"
    target = resolve_target(load_settings(root, environ={"DATABASE_URL": url}))
    assert target.url == url
    assert "postgres:***@" in target.describe()


def test_staging_and_production_read_their_variables(tmp_path: Path) -> None:
    url = f"postgresql://deploy:{SECRET}@db.example.test:5432/postgres"
    settings = load_settings(_project(tmp_path, dotenv=f"STAGING_DATABASE_URL={url}\n"), environ={})
    assert resolve_target(settings, "staging").url == url
    with pytest.raises(ConfigError) as missing:
        resolve_target(settings, "production")
    assert str(missing.value).splitlines() == [
        "PRODUCTION_DATABASE_URL is not set: set it in .env or the environment to use "
        "--target production"
    ]


def test_unknown_target(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown target 'prod': choose one of local, staging"):
        resolve_target(load_settings(_project(tmp_path), environ={}), "prod")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (f"mysql://u:{SECRET}@host/db", "it must start with postgresql://"),
        (f"postgresql://u:{SECRET}@host:99999/db", "bad port"),
        (f"postgresql://u:{SECRET}@/db", "no host"),
    ],
)
def test_malformed_url_names_the_variable_and_hides_the_password(
    tmp_path: Path, url: str, reason: str
) -> None:
    settings = load_settings(_project(tmp_path), environ={"STAGING_DATABASE_URL": url})
    with pytest.raises(ConfigError) as error:
        resolve_target(settings, "staging")
    message = str(error.value)
    assert message.startswith(f"STAGING_DATABASE_URL is not a valid PostgreSQL URL ({reason})")
    assert len(message.splitlines()) == 1
    assert SECRET not in message


def test_bad_settings_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown setting 'prot'"):
        load_settings(_project(tmp_path, "prot = 1\n"), environ={})
    with pytest.raises(ConfigError, match="DBFLOW_PORT"):
        load_settings(_project(tmp_path), environ={"DBFLOW_PORT": "nope"})


def test_redact_url_masks_passwords() -> None:
    assert (
        redact_url(f"postgresql://deploy:{SECRET}@db.example.test:5432/app")
        == "postgresql://deploy:***@db.example.test:5432/app"
    )
    assert redact_url(f"postgresql://db.example.test/app?password={SECRET}&sslmode=require") == (
        "postgresql://db.example.test/app?password=***&sslmode=require"
    )
    assert redact_url("postgresql://db.example.test/app") == "postgresql://db.example.test/app"


def test_remembered_passwords_are_scrubbed_from_any_text(tmp_path: Path) -> None:
    url = f"postgresql://deploy:{SECRET}@db.example.test:5432/app"
    load_settings(_project(tmp_path), environ={"PRODUCTION_DATABASE_URL": url})
    text = f"connection failed: password {SECRET} rejected; dsn host=x password={SECRET}"
    assert SECRET not in redact_text(text)
    error = DbflowError(f"oops {url}", detail=f"server said {SECRET}", hint=url)
    assert SECRET not in str(error)


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("postgresql://postgres:pw@127.0.0.1:54322/postgres", True),
        ("postgresql://postgres:pw@localhost:54322/postgres", True),
        ("postgresql://postgres:pw@[::1]:54322/postgres", True),
        ("postgresql://postgres@/postgres?host=/var/run/postgresql", True),
        ("postgresql://postgres@db.example.com/postgres?hostaddr=127.0.0.1", True),
        ("postgresql://postgres:pw@127.db.example.invalid:5432/postgres", False),
        ("postgresql://postgres:pw@localhost/postgres?hostaddr=10.1.2.3", False),
        ("postgresql://postgres:pw@127.0.0.1,db.example.com/postgres", False),
        ("postgresql://postgres:pw@127.0.0.1:5432,10.0.0.5:5432/postgres", False),
        ("postgresql://postgres:pw@10.0.0.5/postgres", False),
        ("postgresql://postgres:pw@db.example.invalid/postgres", False),
        ("postgresql://postgres:Leak-77123@x@127.0.0.1/postgres", False),
    ],
)
def test_local_means_certainly_this_machine(url: str, local: bool) -> None:
    assert is_local_url(url) is local


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("postgresql://postgres:Leak-77123@x@127.0.0.1:54322/postgres", "unescaped '@'"),
        ("postgresql://postgres:Leak/77123@127.0.0.1:54322/postgres", "bad port"),
        ("postgresql://postgres:Leak?77123@127.0.0.1/postgres", None),
        ("postgresql://postgres:Leak%4077123@127.0.0.1/postgres", None),
        ("postgresql://127.0.0.1:99999/postgres", "bad port"),
        ("postgresql:///postgres", "no host"),
    ],
)
def test_malformed_urls_are_refused_before_connecting(url: str, problem: str | None) -> None:
    found = url_problem(url)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found
        assert "Leak" not in found and "77123" not in found


def test_api_schemas_follow_the_supabase_config(tmp_path: Path) -> None:
    (tmp_path / "supabase").mkdir()
    (tmp_path / "supabase" / "config.toml").write_text(
        '[api]\nschemas = ["public", "graphql_public", "api"]\n'
    )
    (tmp_path / "pyproject.toml").write_text("[tool.dbflow]\n")
    assert load_settings(tmp_path, environ={}).api_schemas == ("public", "graphql_public", "api")
    (tmp_path / "pyproject.toml").write_text('[tool.dbflow]\napi_schemas = ["api"]\n')
    assert load_settings(tmp_path, environ={}).api_schemas == ("api",)
