"""Database URLs read the way libpq reads them: checked before any connection, and judged
local only when every host is certainly this machine.

libpq and Python's URL parser disagree on malformed URLs (a password holding an unescaped
``@`` or ``/``), and libpq's reading is the one that connects, so it is the one used here:
psycopg's :func:`~psycopg.conninfo.conninfo_to_dict` wraps libpq's own parser.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

URL_SHAPE = "postgresql://USER:PASSWORD@HOST:PORT/DBNAME"
_SCHEMES = ("postgresql://", "postgres://")
_HOSTNAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?")


@dataclass(frozen=True)
class ConnectionTarget:
    """What libpq will use from a URL: the hosts (or socket directories), addresses, ports."""

    hosts: tuple[str, ...]
    addresses: tuple[str, ...]  # hostaddr: connect here, without a name lookup
    ports: tuple[str, ...]
    password: str | None


class UrlProblem(ValueError):
    """Why a URL cannot be used; the text never holds any part of the URL's password."""


def parse_url(url: str) -> ConnectionTarget:
    """The connection target libpq reads from ``url``; UrlProblem if it is malformed."""
    if not url.startswith(_SCHEMES):
        raise UrlProblem("it must start with postgresql://")
    authority = re.split(r"[/?]", url.split("://", 1)[1], maxsplit=1)[0]
    if authority.count("@") > 1:
        raise UrlProblem("the user or password holds an unescaped '@': write it as %40")
    params = _libpq_parse(url)
    if params is None:
        raise UrlProblem("it cannot be parsed")
    target = ConnectionTarget(
        hosts=_split(params.get("host")),
        addresses=_split(params.get("hostaddr")),
        ports=_split(params.get("port")),
        password=str(params["password"]) if params.get("password") else None,
    )
    if not target.hosts and not target.addresses:
        raise UrlProblem("no host")
    for host in target.hosts:
        if not _is_host(host):
            raise UrlProblem(
                "the host is not a host name, address or socket directory (a password holding "
                "'/', '?' or '@' must be percent-encoded)"
            )
    for address in target.addresses:
        if _ip(address) is None:
            raise UrlProblem("hostaddr is not an IP address")
    for port in target.ports:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise UrlProblem("bad port")
    return target


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be used, or None when libpq can connect with it as it is."""
    try:
        parse_url(url)
    except UrlProblem as exc:
        return str(exc)
    return None


def url_password(url: str) -> str | None:
    """The password libpq reads from ``url`` (None when absent or the URL is malformed)."""
    params = _libpq_parse(url) or {}
    password = params.get("password")
    return str(password) if password else None


def tcp_url(user: str, password: str, host: str, port: int, database: str) -> str:
    """A ``postgresql://`` URL, each part percent-encoded as libpq decodes it."""
    host_part = f"[{host}]" if ":" in host else host
    return (
        f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@{host_part}:{port}/"
        f"{quote(database, safe='')}"
    )


def database_name(url: str) -> str | None:
    """The database libpq connects to with ``url`` (None: the URL names none)."""
    params = _libpq_parse(url) or {}
    name = params.get("dbname")
    return str(name) if name else None


def without_password(url: str) -> tuple[str, str | None]:
    """``url`` as a libpq connection string without its password, and the password (for
    PGPASSWORD): a command line then never shows it."""
    from psycopg.conninfo import make_conninfo

    params = _libpq_parse(url)
    if params is None:
        raise UrlProblem("it cannot be parsed")
    password = params.pop("password", None)
    return make_conninfo("", **params), str(password) if password else None


def is_local_url(url: str) -> bool:
    """True only when every host ``url`` can connect to is certainly this machine: a Unix
    socket, or addresses (given, or resolved from names) that are all loopback."""
    try:
        target = parse_url(url)
    except UrlProblem:
        return False
    if target.addresses:
        return all(_is_loopback(address) for address in target.addresses)
    return all(_host_is_local(host) for host in target.hosts)


def _libpq_parse(url: str) -> dict[str, Any] | None:
    """libpq's own reading of a connection string (psycopg is imported only when needed: the
    validator, which never connects, starts faster without it)."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        return conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return None


def _split(value: object) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip() for part in str(value).split(","))


def _is_host(host: str) -> bool:
    if host.startswith(("/", "@")):  # a socket directory, or an abstract socket
        return True
    return _ip(host) is not None or _HOSTNAME.fullmatch(host) is not None


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _is_loopback(text: str) -> bool:
    address = _ip(text)
    return address is not None and address.is_loopback


def _host_is_local(host: str) -> bool:
    if host.startswith(("/", "@")):
        return True
    if _ip(host) is not None:
        return _is_loopback(host)
    import socket  # a name lookup is the only use of the network here

    try:
        resolved = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    addresses = {str(entry[4][0]) for entry in resolved}
    return bool(addresses) and all(_is_loopback(address) for address in addresses)
