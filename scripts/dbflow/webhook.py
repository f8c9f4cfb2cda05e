"""POST a JSON message to a webhook (Slack-compatible: it reads ``text``), and say only the
host when it fails.

A webhook's URL is its secret (``.../services/T0/B0/<secret>``, ``?token=...``): no message
dbflow prints holds its path, query or credentials. Credentials written into the URL
(``https://user:password@host/...``) are sent as HTTP basic authentication, never to the
name resolver as part of a host name.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit, urlunsplit


def webhook_host(url: str) -> str:
    """The part of a webhook URL that may be shown: its host (and port)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = parts.port
    except ValueError:
        return "an unreadable URL"
    return f"{host}:{port}" if port else host


def post_json(url: str, payload: Mapping[str, object], timeout: float = 10.0) -> str | None:
    """POST ``payload`` as JSON; an error message (naming the host only) instead of an
    exception."""
    host = webhook_host(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        return f"webhook to {host} not sent: the URL cannot be read"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"webhook to {host} not sent: it needs an http:// or https:// URL with a host"
    headers = {"Content-Type": "application/json"}
    if parts.username is not None or parts.password is not None:
        pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if parts.port:
        netloc += f":{parts.port}"
    address = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    request = urllib.request.Request(
        address, data=json.dumps(payload).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if response.status >= 300:
                return f"webhook to {host} answered HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return f"webhook to {host} answered HTTP {exc.code}"
    except urllib.error.URLError as exc:
        return f"webhook to {host} failed: {_reason(exc.reason)}"
    except OSError as exc:
        return f"webhook to {host} failed: {_reason(exc)}"
    return None


def _reason(reason: object) -> str:
    """Why a request failed, without anything of the URL in it."""
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    text = str(reason)
    return text if "/" not in text and "?" not in text else type(reason).__name__
