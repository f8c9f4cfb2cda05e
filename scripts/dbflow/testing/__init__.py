"""Test helpers for projects that use dbflow: act as a Supabase user, create auth users.

The pytest fixtures (``dbflow_engine``, ``db_url``, ``db``, ...) come from
:mod:`dbflow.testing.plugin`, which pytest loads automatically once dbflow is installed.
"""

from dbflow.testing.identity import (
    as_anon,
    as_service_role,
    as_user,
    create_auth_user,
    expect_denied,
)

__all__ = ["as_anon", "as_service_role", "as_user", "create_auth_user", "expect_denied"]
