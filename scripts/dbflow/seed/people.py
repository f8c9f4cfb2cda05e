"""The people behind seeded rows: one person, one name, one e-mail, everywhere.

A person is a pure function of (seed, who): an auth user's person is keyed by the user's row,
so ``auth.users.email``, its ``raw_user_meta_data``, its identity and every profile-like row
that points at the user (through a foreign key to ``auth.users``) agree. Rows that are not
about a user get a person of their own, keyed by (table, row), so the name and the e-mail of
one contact row still belong together. The fixture users keep their known e-mails.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from dbflow.seed import words
from dbflow.seed.fixtures import FIXTURE_USERS


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    email: str
    username: str
    avatar_url: str

    @property
    def full_name(self) -> str:
        return f"{self.first} {self.last}"


# Column names that describe a person, and which of the person's fields each takes.
PERSON_FIELDS = {
    "full_name": "full_name",
    "display_name": "full_name",
    "name": "full_name",
    "contact_name": "full_name",
    "author_name": "full_name",
    "first_name": "first",
    "given_name": "first",
    "firstname": "first",
    "last_name": "last",
    "family_name": "last",
    "surname": "last",
    "lastname": "last",
    "email": "email",
    "email_address": "email",
    "contact_email": "email",
    "username": "username",
    "user_name": "username",
    "handle": "username",
    "login": "username",
    "avatar_url": "avatar_url",
    "avatar": "avatar_url",
    "picture": "avatar_url",
    "photo_url": "avatar_url",
    "image_url": "avatar_url",
    "profile_image_url": "avatar_url",
}
# "name" and image columns describe a person only in tables about people.
_PERSON_TABLE_WORDS = (
    "profile",
    "user",
    "member",
    "account",
    "person",
    "people",
    "contact",
    "author",
    "customer",
    "employee",
    "candidate",
    "student",
    "teacher",
    "player",
    "participant",
    "attendee",
    "staff",
    "client",
    "patient",
)  # fmt: skip  (a word list, several to a line)
_AMBIGUOUS = {"name", "image_url", "picture", "avatar", "login"}


def person_field(column: str, table: str) -> str | None:
    """Which field of a person ``column`` of ``table`` holds, or None."""
    name = column.lower()
    field = PERSON_FIELDS.get(name)
    if field is None:
        return None
    if name in _AMBIGUOUS and not any(word in table.lower() for word in _PERSON_TABLE_WORDS):
        return None
    return field


@lru_cache(maxsize=65536)
def person(seed: int, who: str, number: int) -> Person:
    """The person behind ``who`` (a user row is ``("auth.users", row)``)."""
    if who == "auth.users" and number < len(FIXTURE_USERS):
        fixture = FIXTURE_USERS[number]
        first, last = fixture.full_name.split(" ", 1)
        return Person(first, last, fixture.email, fixture.name, _avatar(fixture.name))
    h = ((number + _salt(seed, who)) * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    firsts, lasts = _names()
    first, first_ascii = firsts[h % len(firsts)]
    last, last_ascii = lasts[(h >> 20) % len(lasts)]
    separator = "." if who == "auth.users" else ""
    email = f"{first_ascii}.{last_ascii}{separator}{number}@example.com"
    username = f"{first_ascii}{last_ascii[:1]}{number}"
    return Person(first, last, email, username, _avatar(username))


def person_field_producer(seed: int, who: str, field: str) -> Callable[[int], str]:
    """One field of the person of each row of ``who`` (rows not about a user), without
    building the whole person: the same values ``person(seed, who, row)`` has."""
    salt = _salt(seed, who)
    firsts, lasts = _names()
    count_first, count_last = len(firsts), len(lasts)

    def names(row: int) -> tuple[tuple[str, str], tuple[str, str]]:
        h = ((row + salt) * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        return firsts[h % count_first], lasts[(h >> 20) % count_last]

    def email(row: int) -> str:
        (_, first), (_, last) = names(row)
        return f"{first}.{last}{row}@example.com"

    def full_name(row: int) -> str:
        (first, _), (last, _) = names(row)
        return f"{first} {last}"

    def username(row: int) -> str:
        (_, first), (_, last) = names(row)
        return f"{first}{last[:1]}{row}"

    made = {
        "email": email,
        "full_name": full_name,
        "username": username,
        "first": lambda row: names(row)[0][0],
        "last": lambda row: names(row)[1][0],
    }
    if field in made:
        return made[field]
    return lambda row: str(getattr(person(seed, who, row), field))


@lru_cache(maxsize=256)
def _salt(seed: int, who: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(f"{seed}:person:{who}".encode(), digest_size=8).digest(), "big"
    )


@lru_cache(maxsize=1)
def _names() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """First and last names with their ASCII, lower-case forms (for e-mails and usernames)."""
    return (
        tuple((name, _ascii(name).lower()) for name in words.first_names()),
        tuple((name, _ascii(name).lower()) for name in words.last_names()),
    )


def _avatar(username: str) -> str:
    return f"https://images.example.com/avatars/{username}.png"


def _ascii(text: str) -> str:
    return "".join(c for c in text if c.isascii() and (c.isalnum() or c == ".")) or "user"
