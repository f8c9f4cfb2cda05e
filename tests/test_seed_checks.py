"""The CHECK solver on a real database: each construct seeded, both sides of a disjunction
used, expression and partial unique indexes held, contradictions refused by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dbflow.config import Settings, load_settings
from dbflow.connection import connect
from dbflow.errors import SeedPlanError
from dbflow.seed.run import SeedOptions, seed_within

HARD_SHAPES = """
create domain public.short_code as text check (value ~ '^[A-Z]{2}-[0-9]{3}$');
create function public.is_reasonable(n int) returns boolean language sql immutable
    as $$ select n between -1000000 and 1000000 $$;

create table public.accounts (
    id uuid primary key,
    personal_account boolean not null default false,
    slug text unique,
    constraint personal_slug check (
        (personal_account = true and slug is null)
        or (personal_account = false and slug is not null)
    )
);

create table public.contacts (
    id bigint primary key,
    account_id uuid references public.accounts,
    display text not null check (char_length(trim(display)) > 0),
    email text check (email ~* '^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$'),
    phone text check (phone ~ '^\\+[0-9]{6,12}$'),
    kind text not null check (kind in ('person', 'company')),
    company_name text,
    starts_on date,
    ends_on date,
    code public.short_code,
    score int check (score between 1 and 5),
    meta jsonb check (jsonb_typeof(meta) = 'object'),
    handle text check (handle = lower(handle)),
    amount numeric(6, 2) check (amount > 0 and amount < 1000),
    status text check (status = any (array['open', 'closed'])),
    tier int not null
        check (case when kind = 'company' then tier between 2 and 3 else tier = 1 end),
    label text check (coalesce(label, '') <> 'forbidden'),
    flagged boolean check (flagged is not true),
    reviewed_at timestamptz,
    reviewer text,
    n int check (public.is_reasonable(n)),
    rank int check (not (rank = 3)) check ((rank)::numeric >= 1),
    alias_a text,
    alias_b text,
    constraint one_way check (num_nonnulls(email, phone) >= 1),
    constraint company_named check (kind <> 'company' or company_name is not null),
    constraint both_or_neither check ((starts_on is null) = (ends_on is null)),
    constraint ordered check (ends_on >= starts_on),
    constraint reviewed_together check ((reviewed_at is null) = (reviewer is null)),
    constraint not_blank check (label is null or label !~ '^\\s*$'),
    constraint one_alias_or_none check (num_nulls(alias_a, alias_b) <> 1)
);
create unique index contacts_lower_email on public.contacts (lower(email));
create unique index contacts_code_when_open on public.contacts (code) where status = 'open';

create table public.members (
    id bigint primary key,
    account_id uuid not null references public.accounts,
    is_owner boolean not null default false,
    role text not null check (role in ('owner', 'admin', 'viewer'))
);
create unique index members_one_owner on public.members (account_id) where is_owner;

create table public.only_one_way (
    id bigint primary key,
    x int not null,
    a int not null,
    constraint narrow check ((x < 0 and x > 5) or x between 3 and 4),
    constraint big_when_present check (a is null or a > 100)
);
"""


@pytest.fixture
def empty_project(tmp_path: Path) -> Settings:
    (tmp_path / "pyproject.toml").write_text("[tool.dbflow]\n")
    return load_settings(tmp_path, environ={})


def _build(url: str, ddl: str) -> None:
    with connect(url, autocommit=True) as conn:
        conn.execute(ddl)


def _seed(url: str, settings: Settings, **options: Any) -> Any:
    with connect(url, autocommit=True) as conn:
        return seed_within(conn, settings, SeedOptions(**options), lambda plan, rows: None)


def _one(url: str, query: str) -> Any:
    with connect(url) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return row


def test_every_construct_is_seeded_and_disjunctions_use_both_sides(
    bare_db_url: str, empty_project: Settings
) -> None:
    _build(bare_db_url, HARD_SHAPES)
    rows = {"accounts": 60, "contacts": 300, "members": 80, "only_one_way": 30}
    _seed(bare_db_url, empty_project, mode="dev", rows=rows)
    assert _one(bare_db_url, "SELECT count(*) FROM public.contacts") == (300,)
    personal, team = _one(
        bare_db_url,
        "SELECT count(*) FILTER (WHERE personal_account), count(*) FILTER (WHERE NOT "
        "personal_account) FROM public.accounts",
    )
    assert personal > 5 and team > 5
    both, email_only, phone_only = _one(
        bare_db_url,
        "SELECT count(*) FILTER (WHERE email IS NOT NULL AND phone IS NOT NULL), "
        "count(*) FILTER (WHERE email IS NOT NULL AND phone IS NULL), "
        "count(*) FILTER (WHERE email IS NULL AND phone IS NOT NULL) FROM public.contacts",
    )
    assert both > 0 and email_only > 0 and phone_only > 0
    dated, undated, person_tier, company_tier = _one(
        bare_db_url,
        "SELECT count(*) FILTER (WHERE starts_on IS NOT NULL), count(*) FILTER (WHERE starts_on "
        "IS NULL), count(*) FILTER (WHERE tier = 1), count(*) FILTER (WHERE tier IN (2, 3)) "
        "FROM public.contacts",
    )
    assert dated > 0 and undated > 0 and person_tier > 0 and company_tier > 0
    codes = _one(bare_db_url, "SELECT count(*) FROM public.contacts WHERE code IS NOT NULL")
    assert codes[0] > 0  # the domain's pattern was built, not avoided
    assert _one(
        bare_db_url,
        "SELECT bool_and(rank >= 1 AND rank <> 3), "
        "count(*) FILTER (WHERE alias_a IS NULL AND alias_b IS NULL) > 0, "
        "count(*) FILTER (WHERE alias_a IS NOT NULL AND alias_b IS NOT NULL) > 0, "
        "count(*) FILTER (WHERE (alias_a IS NULL) <> (alias_b IS NULL)) "
        "FROM public.contacts",
    ) == (True, True, True, 0)
    assert _one(bare_db_url, "SELECT count(DISTINCT x) FROM public.only_one_way") <= (2,)
    assert _one(bare_db_url, "SELECT min(x), max(x), min(a) > 100 FROM public.only_one_way") == (
        3,
        4,
        True,
    )
    # The expression index on lower(email) and the partial ones hold because the data does.
    assert _one(bare_db_url, "SELECT count(*) FROM public.members") == (80,)


def test_seed_test_fills_the_hard_shapes_identically(
    bare_db_url: str, empty_project: Settings
) -> None:
    _build(bare_db_url, HARD_SHAPES)
    _seed(bare_db_url, empty_project, mode="test")
    first = _one(
        bare_db_url, "SELECT md5(string_agg(c::text, ',' ORDER BY id)) FROM public.contacts c"
    )
    _build(bare_db_url, "truncate public.contacts, public.members, public.accounts cascade;")
    _build(bare_db_url, "delete from auth.users;")
    _seed(bare_db_url, empty_project, mode="test")
    second = _one(
        bare_db_url, "SELECT md5(string_agg(c::text, ',' ORDER BY id)) FROM public.contacts c"
    )
    assert first == second


@pytest.mark.parametrize(
    ("ddl", "named"),
    [
        ("create table public.t (id bigint primary key, x int not null,"
         " constraint impossible check (x > 5 and x < 3));", "CHECK impossible"),
        ("create table public.t (id bigint primary key, x int not null,"
         " constraint wants_null check (x is null));", "CHECK wants_null"),
        ("create table public.t (id bigint primary key, x int not null,"
         " constraint big check (x > 10), constraint small check (x < 5));", "CHECK small"),
        ("create table public.t (id bigint primary key, x int not null,"
         " constraint never check (false));", "CHECK never"),
    ],
)  # fmt: skip
def test_contradictions_are_refused_by_name_before_writing(
    bare_db_url: str, empty_project: Settings, ddl: str, named: str
) -> None:
    _build(bare_db_url, ddl)
    with pytest.raises(SeedPlanError) as error:
        _seed(bare_db_url, empty_project, mode="dev", strict=True)
    assert f"public.t: {named}" in str(error.value)
    assert "--fixed t.COLUMN=VALUE" in str(error.value)
    assert _one(bare_db_url, "SELECT count(*) FROM auth.users") == (0,)


def test_a_check_only_the_server_can_decide_is_proven_or_named(
    bare_db_url: str, empty_project: Settings
) -> None:
    _build(
        bare_db_url,
        "create function public.never_ok(v text) returns boolean language sql immutable "
        "as $$ select v = 'impossible value' || v $$;"
        "create table public.t (id bigint primary key, v text not null,"
        " constraint opaque check (public.never_ok(v)));",
    )
    with pytest.raises(SeedPlanError) as error:
        _seed(bare_db_url, empty_project, mode="dev", strict=True)
    assert "public.t: CHECK opaque" in str(error.value)
    assert "refused every value dbflow built (for example v=" in str(error.value)
    _seed(bare_db_url, empty_project, mode="dev", fixed={"t.v": "x"}, rows={"t": 0})


def test_a_check_only_the_server_can_read_is_met_from_values_it_accepts(
    bare_db_url: str, empty_project: Settings
) -> None:
    _build(
        bare_db_url,
        "create function public.starts_with_a_vowel(v text) returns boolean language sql "
        "immutable as $$ select v ~* '^[aeiou]' $$;"
        "create table public.words (id bigint primary key, word text not null,"
        " constraint vowel check (public.starts_with_a_vowel(word)));",
    )
    result = _seed(bare_db_url, empty_project, mode="dev", rows={"words": 100})
    assert _one(bare_db_url, "SELECT count(*), bool_and(word ~* '^[aeiou]') FROM public.words") == (
        100,
        True,
    )
    notes = result.plan.by_key[("public", "words")].notes
    assert any("pass CHECK vowel on the server" in note for note in notes)
