"""Secrets and personal data written into migrations: keys, tokens, passwords, and real
people's email addresses, phone and card numbers."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator

from dbflow.sql.tree import names, string_value
from dbflow.validate.rules import Hit, StatementContext, flags, passes, rule

# Shapes of secrets inside string literals (the SQL itself is parsed; only literal values
# are matched here).
_SECRET_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "a JSON Web Token",
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+"),
    ),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a Stripe live key", re.compile(r"\b(?:sk|rk)_live_[A-Za-z0-9]{10,}")),
    ("an AWS access key", re.compile(r"\bAKIA[0-9A-Z]{16}\b")),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("a Supabase secret key", re.compile(r"\b(?:sb_secret_|sbp_)[A-Za-z0-9_-]{16,}")),
    ("a URL with a password", re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^@\s/]{3,}@", re.I)),
)

# Text each secret shape contains: a statement with none of them holds no secret.
_SECRET_HINTS = (
    "eyJ",
    "PRIVATE KEY",
    "_live_",
    "AKIA",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "xox",
    "sb_secret_",
    "sbp_",
    "://",
)  # fmt: skip  (a word list, several to a line)
_ANY_SECRET_HINT = re.compile("|".join(re.escape(hint) for hint in _SECRET_HINTS))
# What personal data needs at least: an @, a + before a digit (a phone), or 13 to 19 digits
# in groups (a card; a uuid is longer and does not match).
_ANY_PERSONAL = re.compile(r"@|\+\d|(?<![\w-])\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{1,7}(?![\w-])")

# Example keys for the tests: the payloads say {"role": "anon"} and {"role": "service_role"}.
_ANON_KEY = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiIsImlzcyI6InN1cGFiYXNlIn0.c2lnbmF0dXJl"
_SERVICE_KEY = (
    "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIiwiaXNzIjoic3VwYWJhc2UifQ.c2lnbmF0dXJl"
)

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,}")
_PHONE = re.compile(r"^\+[1-9][0-9 ()-]{9,18}$")
_CARD = re.compile(r"^(?:\d[ -]?){13,19}$")
# Reserved for documentation and tests (RFC 2606, RFC 6761), and the placeholders people
# write in their place: never a real person.
_RESERVED_DOMAINS = (
    "example.com",
    "example.org",
    "example.net",
    "test.com",
    "domain.com",
    "email.com",
    "yourdomain.com",
    "your-domain.com",
    "yourcompany.com",
    "company.com",
    "acme.com",
    "localhost",
    "foo.com",
    "bar.com",
    "mailinator.com",
)  # fmt: skip  (a word list, several to a line)
_RESERVED_SUFFIXES = (".test", ".example", ".invalid", ".localhost", ".local")
# Addresses of a role or a system rather than of a person.
_ROLE_ADDRESSES = frozenset(
    {
        "admin",
        "support",
        "info",
        "contact",
        "hello",
        "noreply",
        "no-reply",
        "team",
        "sales",
        "billing",
        "help",
        "notifications",
        "security",
        "postmaster",
        "webmaster",
        "test",
        "demo",
        "user",
        "dev",
        "root",
        "system",
        "bot",
    }
)  # fmt: skip  (a word list, several to a line)

_DATA_STATEMENTS = frozenset({"InsertStmt", "UpdateStmt", "CopyStmt"})


def _literal_line(ctx: StatementContext, literal: str) -> int | None:
    if ctx.statement.embedded:
        return ctx.statement.line
    at = ctx.statement.text.find(literal)
    if at < 0:
        return None
    return ctx.source.position(ctx.statement.offset + at).line


@rule(
    id="HYG01",
    name="secret-in-migration",
    severity="error",
    message="A secret is written into a migration: it lands in git and in every database",
    why="""Migrations are committed, reviewed, copied into history tables and applied to every
    environment. A key or token in one is leaked to everyone with access to any of them, and
    cannot be rotated out of git history.""",
    bad="insert into public.settings (key, value) values ('stripe', "
    "'sk_live_51Habcdefghijklmnopqrstuv');",
    good="-- store secrets in Vault from the dashboard or a secure script, not in migrations\n"
    "insert into public.settings (key, value) values ('stripe_mode', 'live');",
    fix="Remove the literal, rotate the secret, and load it at deploy time (Vault, environment).",
    in_function_bodies=True,
    cases=[
        passes(
            f"insert into public.settings (key, value) values ('anon_key', '{_ANON_KEY}');",
            "a JWT whose role is anon is the public key every browser has",
        ),
        flags(
            f"insert into public.settings (key, value) values ('service_key', '{_SERVICE_KEY}');",
            "a service_role JWT is a secret",
        ),
    ],
)
def secret_in_migration(ctx: StatementContext) -> Iterator[Hit]:
    text = ctx.statement.text
    if not _ANY_SECRET_HINT.search(text):
        return  # no secret shape anywhere in the statement: no literal needs reading
    for literal in ctx.literals:
        if len(literal) < 16:
            continue
        for label, shape in _SECRET_SHAPES:
            match = shape.search(literal)
            if match and not _publishable(match.group(0)):
                yield Hit(f"A string literal looks like {label}", _literal_line(ctx, literal))
                break


def _publishable(token: str) -> bool:
    """True for a JWT whose payload says role anon: Supabase's public (anon) key, which every
    browser holds, not a secret."""
    if not token.startswith("eyJ"):
        return False
    payload = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(claims, dict) and claims.get("role") == "anon"


@rule(
    id="HYG02",
    name="literal-password",
    severity="error",
    message="A password or secret is set from a literal in the migration",
    why="""CREATE ROLE ... PASSWORD 'x' and vault.create_secret('x') put the secret in the file,
    the repository and the history table.""",
    bad="create role reporting login password 'hunter2-but-longer';",
    good="create role reporting login;\n-- set the password out of band: "
    "alter role reporting password ... from a secure shell",
    fix="Create the role without a password and set it out of band; fill Vault at deploy time.",
    kinds=["CreateRoleStmt", "AlterRoleStmt", "SelectStmt"],
    cases=[
        passes(
            "select vault.create_secret('https://abcdefgh.supabase.co', 'project_url');",
            "a URL kept in Vault for convenience is no secret",
        ),
        flags(
            "select vault.create_secret('whsec_live_0123456789abcdef', 'stripe_webhook');",
            "a webhook secret",
        ),
    ],
)
def literal_password(ctx: StatementContext) -> Iterator[Hit]:
    if ctx.kind in ("CreateRoleStmt", "AlterRoleStmt"):
        password = ctx.node.options.get("password")
        if string_value(password):
            yield Hit()
        return
    for kind, call in ctx.statement.nodes:
        if kind != "FuncCall":
            continue
        parts = tuple(names(call.get("funcname")))
        if parts[-2:] in (("vault", "create_secret"), ("vault", "update_secret")):
            args = call.get("args") or []
            value = string_value(args[0]) if args and "A_Const" in args[0] else None
            if value is not None and not _not_secret(value):
                yield Hit("vault.create_secret is given a literal secret")


def _not_secret(value: str) -> bool:
    """Values kept in Vault that are no secret: a URL without credentials (the project's
    URL, say) or the public anon key."""
    url = re.fullmatch(r"https?://[^\s@]+", value.strip())
    return url is not None or _publishable(value.strip())


def _is_reserved(domain: str) -> bool:
    domain = domain.lower()
    return (
        domain in _RESERVED_DOMAINS
        or domain.endswith(_RESERVED_SUFFIXES)
        or any(domain.endswith("." + reserved) for reserved in _RESERVED_DOMAINS)
    )


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _personal_data(literal: str) -> str | None:
    for match in _EMAIL.finditer(literal):
        local, domain = match.group(0).rsplit("@", 1)
        if not _is_reserved(domain) and local.lower() not in _ROLE_ADDRESSES:
            return f"the email address {match.group(0)}"
    stripped = literal.strip()
    if _PHONE.match(stripped):
        return "a phone number"
    if _CARD.match(stripped):
        digits = "".join(ch for ch in stripped if ch.isdigit())
        if _luhn(digits):
            return "a payment card number"
    return None


@rule(
    id="HYG03",
    name="personal-data-in-migration",
    severity="error",
    message="Real personal data (an email, phone or card number) is written by a migration",
    why="""Migrations run in every environment and live in git forever: production users' data in
    one is a privacy breach. Use synthetic data at reserved domains (example.com, .test) in
    seeds instead.""",
    bad="insert into public.profiles (id, email) values "
    "('00000000-0000-0000-0000-000000000001', 'jane.doe@gmail.com');",
    good="insert into public.profiles (id, email) values "
    "('00000000-0000-0000-0000-000000000001', 'admin@example.com');",
    fix="Use synthetic data at reserved domains, and put test data in seeds, not migrations.",
    kinds=list(_DATA_STATEMENTS),
    cases=[
        passes(
            "insert into public.profiles (id, email) values "
            "('00000000-0000-0000-0000-000000000001', 'jane@yourcompany.com');",
            "a placeholder domain",
        ),
        passes(
            "insert into public.settings (key, value) values ('from', 'noreply@myapp.io');",
            "a role address, not a person's",
        ),
    ],
)
def personal_data_in_migration(ctx: StatementContext) -> Iterator[Hit]:
    if not _ANY_PERSONAL.search(ctx.statement.text):
        return  # nothing shaped like an address or a number: no literal needs reading
    for literal in ctx.literals:
        found = _personal_data(literal)
        if found:
            yield Hit(f"The migration writes {found}", _literal_line(ctx, literal))
            return
