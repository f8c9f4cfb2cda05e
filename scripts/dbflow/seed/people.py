"""The people behind seeded rows: one person, one name, one e-mail, everywhere.

A person is a pure function of (seed, who): an auth user's person is keyed by the user's row,
so ``auth.users.email``, its ``raw_user_meta_data``, its identity and every profile-like row
that points at the user (through a foreign key to ``auth.users``) agree. Rows that are not
about a user get a person of their own, keyed by (table, row), so the name and the e-mail of
one contact row still belong together. The fixture users keep their known e-mails.
"""

from __future__ import annotations

import hashlib
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
    digest = hashlib.blake2b(f"{seed}:person:{who}:{number}".encode(), digest_size=8).digest()
    h = int.from_bytes(digest, "big")
    firsts, lasts = words.first_names(), words.last_names()
    first, last = firsts[h % len(firsts)], lasts[(h >> 20) % len(lasts)]
    handle = _ascii(f"{first}.{last}").lower()
    email = (
        f"{handle}{number}@example.com" if who != "auth.users" else f"{handle}.{number}@example.com"
    )
    username = f"{_ascii(first).lower()}{_ascii(last).lower()[:1]}{number}"
    return Person(first, last, email, username, _avatar(username))


def _avatar(username: str) -> str:
    return f"https://images.example.com/avatars/{username}.png"


def _ascii(text: str) -> str:
    return "".join(c for c in text if c.isascii() and (c.isalnum() or c == ".")) or "user"
