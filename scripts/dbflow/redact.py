"""Keep passwords out of everything dbflow prints, logs or raises.

Redaction has two layers: the credentials of URLs and ``password=`` settings are masked
where they stand, and any password dbflow has seen (registered when a URL is loaded) is
scrubbed from free text, such as a driver's error message that echoes a connection string.
"""

from __future__ import annotations

import re

from dbflow.urls import url_password

MASK = "***"

_known_secrets: set[str] = set()

# Well-known local defaults (the Supabase stack's and dbflow's own local password): masked in
# URLs like any password, but too common a word to scrub from free text.
_PLACEHOLDER = "PASSWORD"
_LOCAL_DEFAULTS = frozenset({"postgres", "password", "secret"})

# user:password@ inside any scheme://... (the password runs to the last '@' before the host
# part ends, as URL parsers read it) and password=... in keyword DSNs or query strings.
_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^\s/?#]*)@"
)
_KEYWORD_PASSWORD = re.compile(r"(?P<key>\bpassword\s*=\s*)(?P<pw>'[^']*'|[^\s&]+)", re.IGNORECASE)


# A secret a migration writes as a literal: a role's PASSWORD '...' (ENCRYPTED too) and the
# string arguments of vault.create_secret(...) / vault.update_secret(...).
_SQL_PASSWORD = re.compile(r"(?P<key>\bpassword\s+)(?P<literal>[eE]?'(?:[^']|'')*')", re.IGNORECASE)
_VAULT_CALL = re.compile(
    r"\bvault\s*\.\s*(?:create|update)_secret\s*\((?P<args>[^;]*)", re.IGNORECASE
)
_LITERAL = re.compile(r"[eE]?'(?:[^']|'')*'")


def mask_sql_secrets(text: str) -> str:
    """``text`` with the secrets SQL sets from literals masked: ``password '***'`` and
    ``vault.create_secret('***', '***')``."""
    folded = text.casefold()  # as the patterns' IGNORECASE reads letters (U+017F is s)
    if "password" not in folded and "vault" not in folded:
        return text  # neither pattern can match: most texts, at no regex's cost
    text = _SQL_PASSWORD.sub(lambda m: f"{m.group('key')}'{MASK}'", text)
    return _VAULT_CALL.sub(
        lambda m: (
            m.group(0)[: m.start("args") - m.start()] + _LITERAL.sub(f"'{MASK}'", m.group("args"))
        ),
        text,
    )


def remember_secret(secret: str | None) -> None:
    """Register a secret so that :func:`redact_text` scrubs it from any text later."""
    if secret and len(secret) >= 6 and secret not in _LOCAL_DEFAULTS:
        _known_secrets.add(secret)


def remember_url_password(url: str) -> None:
    """Register the password of ``url`` as libpq reads it, and as written in the URL."""
    remember_secret(url_password(url))
    match = _URL_CREDENTIALS.search(url)
    if match:
        remember_secret(match.group("pw"))


def redact_url(url: str) -> str:
    """``url`` with its password (in the user part or a ``password=`` parameter) masked."""
    return redact_text(url)


def redact_text(text: str) -> str:
    """Mask URL passwords, ``password=`` settings, the secrets SQL sets from literals and
    every remembered secret in ``text``."""
    text = _URL_CREDENTIALS.sub(_mask_url_credentials, text)
    text = _KEYWORD_PASSWORD.sub(lambda m: m.group("key") + MASK, text)
    text = mask_sql_secrets(text)
    for secret in sorted(_known_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def _mask_url_credentials(match: re.Match[str]) -> str:
    if match.group("pw") == _PLACEHOLDER:  # documentation of a URL's shape, not a password
        return match.group(0)
    return f"{match.group('scheme')}{match.group('user')}:{MASK}@"
