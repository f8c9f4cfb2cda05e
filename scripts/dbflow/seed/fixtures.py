"""Named fixtures with known ids, importable by tests (``from dbflow.seed.fixtures import ADMIN``).

``seed-test`` (and the first rows of ``seed-dev``) create these auth users; the hand-written
``seeds/test/*.sql`` and ``seeds/dev/*.sql`` files use the same ids to build relationships
(who is an admin, who belongs to which organization).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class FixtureUser:
    name: str
    id: uuid.UUID
    email: str
    full_name: str


ADMIN = FixtureUser(
    "admin", uuid.UUID("00000000-0000-4000-8000-000000000001"), "admin@example.com", "Ada Admin"
)
MEMBER = FixtureUser(
    "member",
    uuid.UUID("00000000-0000-4000-8000-000000000002"),
    "member@example.com",
    "Morgan Member",
)
OUTSIDER = FixtureUser(
    "outsider",
    uuid.UUID("00000000-0000-4000-8000-000000000003"),
    "outsider@example.com",
    "Oscar Outsider",
)
FIXTURE_USERS = (ADMIN, MEMBER, OUTSIDER)

# Organizations created by seeds/test/001_test_data.sql (and seeds/dev/001_sample_data.sql).
ORG_A = uuid.UUID("00000000-0000-4000-8000-00000000000a")
ORG_B = uuid.UUID("00000000-0000-4000-8000-00000000000b")

# Every seeded user signs in with this password (local databases only).
PASSWORD = "dbflow-dev-password"
