"""Settings: ``[tool.dbflow]`` in pyproject.toml, then ``.env``, then the environment.

A later source wins over an earlier one. Targets (local, staging, production) each read one
URL variable; every URL is validated and its password registered for redaction as soon as it
is loaded, so no printout of dbflow's can carry it.
"""

from __future__ import annotations

import io
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dbflow.errors import ConfigError
from dbflow.redact import redact_url, remember_url_password
from dbflow.urls import URL_SHAPE, url_problem

DEFAULT_PORT = 54322

TARGET_URL_VARIABLES: dict[str, str] = {
    "local": "DATABASE_URL",
    "staging": "STAGING_DATABASE_URL",
    "production": "PRODUCTION_DATABASE_URL",
}

# Environment variables that override [tool.dbflow] keys.
_ENV_OVERRIDES: dict[str, str] = {
    "DBFLOW_MIGRATIONS_DIR": "migrations_dir",
    "DBFLOW_PORT": "port",
    "DBFLOW_DATA_DIR": "data_dir",
    "DBFLOW_STRICT": "strict",
    "DBFLOW_RUN_AS": "run_as",
    "DBFLOW_API_SCHEMAS": "api_schemas",
    "PG_BIN_DIR": "pg_bin_dir",
    "DBFLOW_LOCK_TIMEOUT": "lock_timeout",
    "DBFLOW_STATEMENT_TIMEOUT": "statement_timeout",
    "DBFLOW_LOCK_WAIT_SECONDS": "lock_wait_seconds",
    "DBFLOW_ENGINE": "engine",
    "DBFLOW_STAGING_SOAK": "staging_soak",
    "DBFLOW_BACKUP_RECIPIENTS": "backup_recipients",
}


@dataclass(frozen=True)
class Settings:
    """Everything dbflow reads from the project and its environment."""

    project_root: Path
    migrations_dir: Path
    seed_paths: tuple[str, ...] = ("supabase/seed.sql",)
    dev_seed_paths: tuple[str, ...] = ("seeds/dev/*.sql",)
    test_seed_paths: tuple[str, ...] = ("seeds/test/*.sql",)
    port: int = DEFAULT_PORT
    api_schemas: tuple[str, ...] = ("public",)
    data_dir: Path = Path(".dbflow")
    strict: bool = False
    run_as: str | None = None
    pg_bin_dir: Path | None = None
    lock_timeout: str = "10s"
    statement_timeout: str = "15min"
    lock_wait_seconds: float = 60.0
    staging_soak_seconds: float = 24 * 3600.0  # how long staging holds a migration first
    # age (age1...) or SSH public keys production archives are encrypted to
    backup_recipients: tuple[str, ...] = ()
    engine: str = "auto"  # auto, system or embedded: which PostgreSQL runs the local database
    types_path: Path = Path("types/database.ts")
    validate: Mapping[str, object] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def platform_major(self) -> int:
        """The platform's PostgreSQL major: ``[db] major_version`` of supabase/config.toml."""
        return platform_major(self.project_root)

    def resolve_globs(self, patterns: tuple[str, ...]) -> list[Path]:
        """Files matching ``patterns`` (relative to the project), each pattern sorted."""
        found: list[Path] = []
        for pattern in patterns:
            for path in sorted(self.project_root.glob(pattern)):
                if path.is_file() and path not in found:
                    found.append(path)
        return found


@dataclass(frozen=True)
class Target:
    """A database dbflow acts on. ``url`` is None for dbflow's own local engine."""

    name: str
    variable: str
    url: str | None

    @property
    def uses_local_engine(self) -> bool:
        return self.url is None

    def describe(self) -> str:
        where = redact_url(self.url) if self.url else "dbflow's local engine"
        return f"{self.name} ({where})"


def supabase_config(root: Path) -> Mapping[str, object]:
    """``supabase/config.toml`` (the Supabase CLI's settings); empty when there is none. One
    that cannot be read is an error naming the file and the place: its ``[api] schemas`` and
    ``[db] major_version`` change what dbflow does, so it is never skipped in silence."""
    path = root / "supabase" / "config.toml"
    if not path.is_file():
        return {}
    return read_toml(path)


def read_toml(path: Path) -> dict[str, object]:
    """A TOML file, or one line that names the file and where it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: {_not_utf8(data, exc)}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _not_utf8(data: bytes, exc: UnicodeDecodeError) -> str:
    line = data.count(b"\n", 0, exc.start) + 1
    column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
    return f"not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}, column {column})"


def supabase_major_version(root: Path) -> int | None:
    """``[db] major_version`` of supabase/config.toml: the platform's PostgreSQL major."""
    database = supabase_config(root).get("db", {})
    value = database.get("major_version") if isinstance(database, dict) else None
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(
            f"{root / 'supabase' / 'config.toml'}: [db] major_version must be a whole number "
            f"(15 or 17), not {value!r}"
        )
    return value


# The platform major assumed where supabase/config.toml does not say (the validator's too).
DEFAULT_PLATFORM_MAJOR = 15


def platform_major(root: Path) -> int:
    """The platform's PostgreSQL major for the project: ``[db] major_version``, else 15."""
    return supabase_major_version(root) or DEFAULT_PLATFORM_MAJOR


def supabase_api_schemas(root: Path) -> tuple[str, ...]:
    """The schemas the API serves: public, then ``[api] schemas`` of supabase/config.toml (as
    the Supabase CLI's type generator reads them)."""
    api = supabase_config(root).get("api", {})
    listed = api.get("schemas", []) if isinstance(api, dict) else []
    names = [name for name in listed if isinstance(name, str)] if isinstance(listed, list) else []
    return tuple(dict.fromkeys(["public", *names]))


def find_project_root(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` with a pyproject.toml or a supabase/ folder."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "pyproject.toml").is_file() or (candidate / "supabase").is_dir():
            return candidate
    return here


def _read_dotenv(path: Path) -> dict[str, str]:
    """The variables of a .env file (python-dotenv loads only when there is one)."""
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: {_not_utf8(data, exc)}") from None
    if "\0" in text:
        raise ConfigError(f"{path}: the file is binary (it contains NUL bytes), not settings")
    values = dotenv_values(stream=io.StringIO(text))
    return {key: value for key, value in values.items() if value is not None}


def load_settings(
    project_root: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read settings for the project at ``project_root`` (default: found from the cwd)."""
    root = find_project_root(project_root)
    raw: dict[str, object] = dict(_read_pyproject_table(root))
    env = _read_dotenv(root / ".env")
    env.update(os.environ if environ is None else environ)
    for variable, key in _ENV_OVERRIDES.items():
        if env.get(variable):
            raw[key] = env[variable]
    for variable in TARGET_URL_VARIABLES.values():
        if env.get(variable):
            remember_url_password(env[variable])
    return _build_settings(root, raw, env)


def resolve_target(settings: Settings, name: str = "local") -> Target:
    """The target called ``name``, with its URL validated; one clear line if it cannot be used."""
    variable = TARGET_URL_VARIABLES.get(name)
    if variable is None:
        choices = ", ".join(TARGET_URL_VARIABLES)
        raise ConfigError(f"unknown target {name!r}: choose one of {choices}")
    url = settings.env.get(variable) or None
    if url is None:
        if name == "local":
            return Target(name, variable, None)
        raise ConfigError(
            f"{variable} is not set: set it in .env or the environment to use --target {name}"
        )
    check_database_url(url, variable)
    return Target(name, variable, url)


def check_database_url(url: str, variable: str) -> None:
    """Raise a one-line ConfigError naming ``variable`` if ``url`` is not a PostgreSQL URL."""
    problem = url_problem(url.strip())
    if problem:
        raise ConfigError(
            f"{variable} is not a valid PostgreSQL URL ({problem}): set it to {URL_SHAPE}"
        )


def _read_pyproject_table(root: Path) -> Mapping[str, object]:
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    tool = read_toml(path).get("tool", {})
    table = tool.get("dbflow", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.dbflow] must be a table")
    return table


def _build_settings(root: Path, raw: Mapping[str, object], env: Mapping[str, str]) -> Settings:
    known = {
        "migrations_dir",
        "seed_paths",
        "dev_seed_paths",
        "test_seed_paths",
        "port",
        "api_schemas",
        "data_dir",
        "strict",
        "run_as",
        "pg_bin_dir",
        "lock_timeout",
        "statement_timeout",
        "lock_wait_seconds",
        "staging_soak",
        "backup_recipients",
        "validate",
        "types_path",
        "engine",
    }  # fmt: skip  (a word list, several to a line)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"unknown setting {unknown[0]!r} in [tool.dbflow]",
            hint=f"known settings: {', '.join(sorted(known))}",
        )
    pg_bin_dir = raw.get("pg_bin_dir")
    run_as = raw.get("run_as")
    return Settings(
        project_root=root,
        migrations_dir=root / _as_str(raw, "migrations_dir", "supabase/migrations"),
        seed_paths=_as_strings(raw, "seed_paths", ("supabase/seed.sql",)),
        dev_seed_paths=_as_strings(raw, "dev_seed_paths", ("seeds/dev/*.sql",)),
        test_seed_paths=_as_strings(raw, "test_seed_paths", ("seeds/test/*.sql",)),
        port=_as_port(raw.get("port", DEFAULT_PORT)),
        api_schemas=_as_strings(raw, "api_schemas", supabase_api_schemas(root)),
        data_dir=root / _as_str(raw, "data_dir", ".dbflow"),
        strict=_as_bool(raw.get("strict", False), "strict"),
        run_as=str(run_as) if run_as else None,
        pg_bin_dir=Path(str(pg_bin_dir)) if pg_bin_dir else None,
        lock_timeout=_as_str(raw, "lock_timeout", "10s"),
        statement_timeout=_as_str(raw, "statement_timeout", "15min"),
        lock_wait_seconds=_as_seconds(raw.get("lock_wait_seconds", 60.0)),
        staging_soak_seconds=_as_duration(raw.get("staging_soak", "24h"), "staging_soak"),
        backup_recipients=_as_strings(raw, "backup_recipients", ()),
        engine=_as_str(raw, "engine", "auto"),
        types_path=root / _as_str(raw, "types_path", "types/database.ts"),
        validate=_as_table(raw.get("validate", {}), "validate"),
        env=env,
    )


def _as_str(raw: Mapping[str, object], key: str, default: str) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"[tool.dbflow] {key} must be a non-empty string")
    return value


def _as_strings(raw: Mapping[str, object], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = raw.get(key, default)
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"[tool.dbflow] {key} must be a list of strings")
    return tuple(value)


def _as_port(value: object) -> int:
    try:
        port = int(str(value))
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise ConfigError(
            f"port {value!r} is not a TCP port: set [tool.dbflow] port or DBFLOW_PORT"
        )
    return port


def _as_bool(value: object, key: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"[tool.dbflow] {key} must be true or false, not {value!r}")


def _as_seconds(value: object) -> float:
    try:
        seconds = float(str(value))
    except ValueError:
        seconds = -1.0
    if seconds < 0:
        raise ConfigError(f"lock_wait_seconds {value!r} must be a number of seconds (0 or more)")
    return seconds


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(d|days?|h|hours?|m|min|minutes?|s|seconds?)?\s*$")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def _as_duration(value: object, key: str) -> float:
    """A duration as seconds: ``24h``, ``90min``, ``2d``, ``0``; a bare number is hours."""
    match = _DURATION.match(str(value).lower())
    if match is None or isinstance(value, bool):
        raise ConfigError(
            f"[tool.dbflow] {key} {value!r} must be a duration such as 24h, 90min or 2d "
            "(0 turns it off)"
        )
    unit = (match.group(2) or "h")[0]
    return float(match.group(1)) * _UNIT_SECONDS[unit]


def _as_table(value: object, key: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise ConfigError(f"[tool.dbflow.{key}] must be a table")
    return value
