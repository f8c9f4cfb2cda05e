"""Stand-in extensions behave as their documentation says, not only load."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Json

from dbflow.connection import connect
from tests.cli_helpers import INV, assert_no_traceback, project_dir, run

Conn = psycopg.Connection[Any]


@pytest.fixture
def conn(bare_db_url: str) -> Iterator[Conn]:
    with connect(bare_db_url, autocommit=True) as connection:
        yield connection


def _one(conn: Conn, query: str, *args: object) -> Any:
    row = conn.execute(query, args or None).fetchone()
    assert row is not None
    return row[0]


def test_pgmq_queue_round_trip(conn: Conn) -> None:
    conn.execute("create schema if not exists pgmq")  # as projects write it
    conn.execute("create extension pgmq with schema pgmq")
    conn.execute("select pgmq.create('Jobs')")
    assert conn.execute("select queue_name from pgmq.list_queues()").fetchall() == [("jobs",)]
    first = _one(conn, "select pgmq.send('jobs', '{\"n\": 1}')")
    ids = [
        row[0]
        for row in conn.execute(
            "select * from pgmq.send_batch('jobs', array['{\"n\": 2}', '{\"n\": 3}']::jsonb[])"
        )
    ]
    assert ids == [first + 1, first + 2]
    delayed = _one(conn, "select pgmq.send('jobs', '{\"n\": 4}', 3600)")

    read = conn.execute("select msg_id, read_ct, message from pgmq.read('jobs', 30, 2)").fetchall()
    assert read == [(first, 1, {"n": 1}), (first + 1, 1, {"n": 2})]
    # hidden for the visibility timeout: the next read sees the third only (the fourth is delayed)
    again = conn.execute("select msg_id from pgmq.read('jobs', 30, 10)").fetchall()
    assert again == [(first + 2,)]
    assert conn.execute("select * from pgmq.read('jobs', 30, 10)").fetchall() == []

    # set_vt to 0 makes a message visible again, with its read count kept
    conn.execute("select pgmq.set_vt('jobs', %s, 0)", (first,))
    assert conn.execute("select msg_id, read_ct from pgmq.read('jobs', 1, 10)").fetchall() == [
        (first, 2)
    ]
    assert _one(conn, "select pgmq.archive('jobs', %s::bigint)", first) is True
    assert _one(conn, "select pgmq.delete('jobs', %s::bigint)", first + 1) is True
    assert _one(conn, "select pgmq.delete('jobs', %s::bigint)", first + 1) is False
    archived = conn.execute("select msg_id, message from pgmq.a_jobs").fetchall()
    assert archived == [(first, {"n": 1})]
    conn.execute("select pgmq.set_vt('jobs', %s, 0)", (first + 2,))
    popped = conn.execute("select msg_id, message from pgmq.pop('jobs')").fetchall()
    assert popped == [(first + 2, {"n": 3})]

    metrics = conn.execute(
        "select queue_name, queue_length, total_messages from pgmq.metrics('jobs')"
    ).fetchone()
    assert metrics == ("jobs", 1, first + 3)  # only the delayed one is left; 4 ever sent
    assert _one(conn, "select count(*) from pgmq.metrics_all()") == 1
    assert _one(conn, "select pgmq.purge_queue('jobs')") == 1
    assert (
        _one(conn, "select msg_id from pgmq.q_jobs where msg_id = %s", delayed) is None
        if conn.execute("select 1 from pgmq.q_jobs").fetchone()
        else True
    )
    assert _one(conn, "select pgmq.drop_queue('jobs')") is True
    assert conn.execute("select to_regclass('pgmq.q_jobs')").fetchone() == (None,)
    with pytest.raises(psycopg.errors.UndefinedTable, match='queue "jobs" does not exist'):
        conn.execute("select pgmq.send('jobs', '{}')")


def test_pgmq_read_with_poll_waits_for_a_message(conn: Conn) -> None:
    conn.execute("create extension pgmq")
    conn.execute("select pgmq.create('poll')")
    started = time.monotonic()
    assert conn.execute("select * from pgmq.read_with_poll('poll', 30, 1, 1, 50)").fetchall() == []
    assert time.monotonic() - started >= 0.9
    conn.execute("select pgmq.send('poll', '{\"x\": true}')")
    assert conn.execute(
        "select message from pgmq.read_with_poll('poll', 30, 1, 1, 50)"
    ).fetchall() == [({"x": True},)]


def test_pgmq_rejects_bad_queue_names(conn: Conn) -> None:
    conn.execute("create extension pgmq")
    with pytest.raises(psycopg.errors.RaiseException, match="invalid characters"):
        conn.execute("select pgmq.create('x; drop table y')")
    with pytest.raises(psycopg.errors.RaiseException, match="too long"):
        conn.execute("select pgmq.create(repeat('q', 60))")


def test_http_functions_exist_and_refuse_to_send(conn: Conn) -> None:
    conn.execute("create extension http with schema extensions")
    conn.execute(
        "create function public.notify_hook() returns integer language plpgsql as $$ "
        "begin return (extensions.http_post('https://example.com/hook', '{}', "
        "'application/json')).status; end $$"
    )
    with pytest.raises(psycopg.errors.RaiseException, match=r"POST https://example\.com/hook was"):
        conn.execute("select public.notify_hook()")
    with pytest.raises(psycopg.errors.RaiseException, match=r"GET https://example\.com"):
        conn.execute("select extensions.http_get('https://example.com')")
    assert _one(conn, "select extensions.urlencode('a b&c=é')") == "a%20b%26c%3D%C3%A9"
    assert _one(conn, 'select extensions.urlencode(\'{"q": "x y", "a": 1}\'::jsonb)') == (
        "a=1&q=x%20y"
    )
    header = _one(conn, "select (extensions.http_header('Accept', 'text/plain')).field")
    assert header == "Accept"
    assert _one(conn, "select extensions.bytea_to_text(extensions.text_to_bytea('hi'))") == "hi"


HASHIDS_CASES = [
    ([0], "", 0, None),
    ([1], "", 0, None),
    ([12345], "this is my salt", 0, None),
    ([1, 2, 3], "this is my salt", 0, None),
    ([683, 94108, 123, 5], "this is my salt", 0, None),
    ([1], "this is my salt", 8, None),
    ([9007199254740992], "salty", 0, None),
    ([7, 11], "pepper", 20, None),
    ([1, 23, 456], "arbitrary salt", 16, "abcdefghijkl0123456"),
    ([42], "", 0, "0123456789abcdefABCDEF"),
    ([5, 5, 5, 5], "", 0, None),
]


@pytest.mark.parametrize(("numbers", "salt", "min_length", "alphabet"), HASHIDS_CASES)
def test_pg_hashids_matches_the_reference_implementation(
    conn: Conn, numbers: list[int], salt: str, min_length: int, alphabet: str | None
) -> None:
    hashids = pytest.importorskip("hashids", reason="the hashids package is a test dependency")
    conn.execute("create extension pg_hashids with schema extensions")
    conn.execute("set search_path = public")  # the functions must not depend on the caller's
    options = (salt, min_length, alphabet) if alphabet else (salt, min_length)
    expected = hashids.Hashids(*options).encode(*numbers)
    marks = ", ".join(["%s"] * len(options))
    encoded = _one(conn, f"select extensions.id_encode(%s::bigint[], {marks})", numbers, *options)
    assert encoded == expected
    decoded = _one(conn, f"select extensions.id_decode(%s, {marks})", expected, *options)
    assert list(decoded) == numbers
    if len(numbers) == 1:
        query = f"select extensions.id_encode(%s::bigint, {marks})"
        assert _one(conn, query, numbers[0], *options) == expected
        query = f"select extensions.id_decode_once(%s, {marks})"
        assert _one(conn, query, expected, *options) == numbers[0]


def test_pg_hashids_default_arguments_and_tampered_ids(conn: Conn) -> None:
    hashids = pytest.importorskip("hashids", reason="the hashids package is a test dependency")
    conn.execute("create extension pg_hashids")
    assert _one(conn, "select id_encode(1001)") == hashids.Hashids().encode(1001)
    assert _one(conn, "select id_encode(1001, 'salt')") == hashids.Hashids("salt").encode(1001)
    assert _one(conn, "select id_decode_once(id_encode(77, 's', 10), 's', 10)") == 77
    tampered = _one(conn, "select id_encode(1001, 'salt') || 'x'")
    assert list(_one(conn, "select id_decode(%s, 'salt')", tampered)) == []
    for salt in ("other", "pepper", ""):  # the same id under another salt: as the reference says
        expected = list(hashids.Hashids(salt).decode(hashids.Hashids("salt").encode(1001)))
        assert list(_one(conn, "select id_decode(id_encode(1001, 'salt'), %s)", salt)) == expected


OBJECT = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[a-z]+$"},
        "age": {"type": "integer", "minimum": 0, "exclusiveMaximum": 150},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": True},
        "kind": {"enum": ["a", "b", None]},
        "version": {"const": 1},
        "score": {"type": "number", "multipleOf": 0.5, "maximum": 10},
    },
    "required": ["name"],
    "additionalProperties": False,
}
COMBINED = {
    "anyOf": [{"type": "string", "format": "email"}, {"type": "integer", "minimum": 10}],
    "not": {"const": "admin@example.com"},
}
CHOICE = {
    "oneOf": [{"type": "number", "maximum": 5}, {"type": "number", "minimum": 3}],
    "allOf": [{"type": "number"}],
}
CONDITIONAL = {
    "type": "object",
    "if": {"properties": {"country": {"const": "US"}}, "required": ["country"]},
    "then": {"required": ["zip"]},
    "else": {"required": ["postcode"]},
    "patternProperties": {"^x-": {"type": "boolean"}},
    "propertyNames": {"maxLength": 8},
    "minProperties": 1,
    "definitions": {"code": {"type": "string", "format": "uuid"}},
    "properties": {"id": {"$ref": "#/definitions/code"}},
}
TUPLE = {
    "type": "array",
    "items": [{"type": "integer"}, {"type": "string"}],
    "additionalItems": False,
    "contains": {"type": "integer"},
}
JSONSCHEMA_CASES = [
    (OBJECT, {"name": "ann"}),
    (OBJECT, {"name": "ann", "age": 30, "tags": ["x"], "kind": None, "version": 1, "score": 9.5}),
    (OBJECT, {"name": "a"}),
    (OBJECT, {"name": "annabelle"}),
    (OBJECT, {"name": "Ann"}),
    (OBJECT, {"age": 3}),
    (OBJECT, {"name": "ann", "age": 1.5}),
    (OBJECT, {"name": "ann", "age": 150}),
    (OBJECT, {"name": "ann", "age": -1}),
    (OBJECT, {"name": "ann", "tags": []}),
    (OBJECT, {"name": "ann", "tags": ["x", "x"]}),
    (OBJECT, {"name": "ann", "tags": [1]}),
    (OBJECT, {"name": "ann", "kind": "c"}),
    (OBJECT, {"name": "ann", "version": 2}),
    (OBJECT, {"name": "ann", "score": 9.25}),
    (OBJECT, {"name": "ann", "score": 10.5}),
    (OBJECT, {"name": "ann", "extra": True}),
    (OBJECT, ["not", "an", "object"]),
    (COMBINED, "someone@example.com"),
    (COMBINED, "admin@example.com"),
    (COMBINED, "not an email"),
    (COMBINED, 12),
    (COMBINED, 9),
    (CHOICE, 1),
    (CHOICE, 4),
    (CHOICE, 8),
    (CHOICE, "x"),
    (CONDITIONAL, {"country": "US", "zip": "1"}),
    (CONDITIONAL, {"country": "US"}),
    (CONDITIONAL, {"postcode": "1"}),
    (CONDITIONAL, {"postcode": "1", "x-flag": "yes"}),
    (CONDITIONAL, {"postcode": "1", "x-flag": True}),
    (CONDITIONAL, {"postcode": "1", "longer-name": 1}),
    (CONDITIONAL, {}),
    (CONDITIONAL, {"postcode": "1", "id": "6f1d4b34-61b4-4c1c-9ad5-8bd1f8e0c8a1"}),
    (CONDITIONAL, {"postcode": "1", "id": "nope"}),
    (TUPLE, [1, "a"]),
    (TUPLE, [1, 2]),
    (TUPLE, [1, "a", 3]),
    (TUPLE, ["a"]),
    (True, {"anything": 1}),
    (False, 1),
]


@pytest.mark.parametrize(("schema", "instance"), JSONSCHEMA_CASES)
def test_pg_jsonschema_agrees_with_the_reference_validator(
    conn: Conn, schema: Any, instance: Any
) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a test dependency")
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    expected = validator.is_valid(instance)
    conn.execute("create extension pg_jsonschema with schema extensions")
    query = (
        "select extensions.jsonb_matches_schema(%s::json, %s::jsonb), "
        "extensions.json_matches_schema(%s::json, %s::json)"
    )
    row = conn.execute(query, (Json(schema), Json(instance), Json(schema), Json(instance)))
    assert row.fetchone() == (expected, expected)
    errors = _one(
        conn,
        "select extensions.jsonschema_validation_errors(%s::json, %s::json)",
        Json(schema),
        Json(instance),
    )
    assert (errors == []) is expected


def test_pg_jsonschema_in_a_check_constraint_and_unsupported_keywords(conn: Conn) -> None:
    conn.execute("create extension pg_jsonschema with schema extensions")
    conn.execute(
        "create table public.events (payload jsonb check (extensions.jsonb_matches_schema("
        """'{"type": "object", "required": ["kind"]}', payload)))"""
    )
    conn.execute("""insert into public.events values ('{"kind": "click"}')""")
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute("""insert into public.events values ('{"other": 1}')""")
    with pytest.raises(psycopg.errors.RaiseException, match='keyword "unevaluatedProperties"'):
        conn.execute(
            """select extensions.json_matches_schema('{"unevaluatedProperties": false}', '{}')"""
        )
    with pytest.raises(psycopg.errors.RaiseException, match="is not supported"):
        conn.execute("""select extensions.jsonschema_is_valid('{"$ref": "https://x/y.json"}')""")
    valid = [
        ('{"type": "string"}', True),
        ('{"type": "strng"}', False),
        ('{"required": "name"}', False),
        ('{"properties": {"a": {"type": 3}}}', False),
        ('{"anyOf": [{"type": "integer"}, {"minimum": "x"}]}', False),
        ("true", True),
        ("3", False),
    ]
    for schema, expected in valid:
        assert _one(conn, "select extensions.jsonschema_is_valid(%s::json)", schema) is expected


def test_pgsodium_round_trips_and_detects_tampering(conn: Conn) -> None:
    conn.execute("create extension if not exists pgsodium")
    key = _one(conn, "select pgsodium.crypto_secretbox_keygen()")
    nonce = _one(conn, "select pgsodium.crypto_secretbox_noncegen()")
    assert len(key) == 32 and len(nonce) == 24
    box = _one(conn, "select pgsodium.crypto_secretbox('secret'::bytea, %s, %s)", nonce, key)
    assert bytes(box) != b"secret"
    opened = _one(conn, "select pgsodium.crypto_secretbox_open(%s, %s, %s)", box, nonce, key)
    assert bytes(opened) == b"secret"
    tampered = bytes(box[:-1]) + bytes([box[-1] ^ 1])
    with pytest.raises(psycopg.errors.RaiseException, match="invalid ciphertext"):
        conn.execute("select pgsodium.crypto_secretbox_open(%s, %s, %s)", (tampered, nonce, key))

    made = conn.execute("select id, name, key_type from pgsodium.create_key(name => 'k1')")
    key_id, name, key_type = made.fetchone() or (None, None, None)
    assert (name, key_type) == ("k1", "aead-det")
    one = _one(
        conn,
        "select pgsodium.crypto_aead_det_encrypt('card 4242'::bytea, 'user 7'::bytea, %s::uuid)",
        key_id,
    )
    again = _one(
        conn,
        "select pgsodium.crypto_aead_det_encrypt('card 4242'::bytea, 'user 7'::bytea, %s::uuid)",
        key_id,
    )
    assert one == again  # deterministic: the same input gives the same ciphertext
    plain = _one(
        conn, "select pgsodium.crypto_aead_det_decrypt(%s, 'user 7'::bytea, %s::uuid)", one, key_id
    )
    assert bytes(plain) == b"card 4242"
    with pytest.raises(psycopg.errors.RaiseException, match="invalid ciphertext"):
        conn.execute(
            "select pgsodium.crypto_aead_det_decrypt(%s, 'user 8'::bytea, %s::uuid)", (one, key_id)
        )

    mac = _one(conn, "select pgsodium.crypto_auth('message'::bytea, 'key'::bytea)")
    assert bytes(mac) == hmac.new(b"key", b"message", hashlib.sha256).digest()
    assert (
        _one(conn, "select pgsodium.crypto_auth_verify(%s, 'message'::bytea, 'key'::bytea)", mac)
        is True
    )
    hashed = _one(conn, "select pgsodium.crypto_pwhash_str('hunter2'::bytea)")
    assert _one(conn, "select pgsodium.crypto_pwhash_str_verify(%s, 'hunter2'::bytea)", hashed)
    assert not _one(conn, "select pgsodium.crypto_pwhash_str_verify(%s, 'other'::bytea)", hashed)
    assert _one(conn, "select length(pgsodium.randombytes_buf(100))") == 100
    encoded = _one(conn, "select pgsodium.sodium_bin2base64('\\xfbff'::bytea)")
    assert encoded == "-_8"
    assert bytes(_one(conn, "select pgsodium.sodium_base642bin(%s)", encoded)) == b"\xfb\xff"


def test_pg_tle_installs_an_extension_that_create_extension_then_creates(conn: Conn) -> None:
    conn.execute("create extension pg_tle")
    name = f"tle_greeting_{abs(hash(conn.info.dbname)) % 10**8}"
    assert _one(
        conn,
        "select pgtle.install_extension(%s, '1.0', 'says hello', "
        "$ext$ create function hello() returns text language sql as $$ select 'hello' $$ $ext$)",
        name,
    )
    assert name in [row[0] for row in conn.execute("select name from pgtle.available_extensions()")]
    conn.execute(f"create extension {name}")
    assert _one(conn, "select hello()") == "hello"
    conn.execute(
        "select pgtle.install_update_path(%s, '1.0', '1.1', "
        "$ext$ create or replace function hello() returns text language sql as "
        "$$ select 'hello again' $$ $ext$)",
        (name,),
    )
    conn.execute(f"alter extension {name} update to '1.1'")
    assert _one(conn, "select hello()") == "hello again"
    with pytest.raises(psycopg.errors.RaiseException, match="drop it first"):
        conn.execute("select pgtle.uninstall_extension(%s)", (name,))
    conn.execute(f"drop extension {name}")
    assert _one(conn, "select pgtle.uninstall_extension(%s)", name) is True
    with pytest.raises(psycopg.Error):
        conn.execute(f"create extension {name}")
    with pytest.raises(psycopg.errors.RaiseException, match="invalid version"):
        conn.execute("select pgtle.install_extension('x', '../../etc', '', 'select 1')")


def test_wrappers_let_foreign_tables_be_declared(conn: Conn) -> None:
    conn.execute("create extension wrappers with schema extensions")
    conn.execute(
        "create foreign data wrapper stripe_wrapper handler extensions.stripe_fdw_handler "
        "validator extensions.stripe_fdw_validator"
    )
    conn.execute(
        "create server stripe_server foreign data wrapper stripe_wrapper "
        "options (api_key_id '00000000-0000-0000-0000-000000000000')"
    )
    conn.execute("create schema stripe")
    conn.execute(
        "create foreign table stripe.customers (id text, email text) server stripe_server "
        "options (object 'customers')"
    )
    assert _one(conn, "select name from extensions.stripe_fdw_meta()").startswith("stripe")
    with pytest.raises(psycopg.Error):  # no remote service locally
        conn.execute("select * from stripe.customers")


def test_hypopg_and_index_advisor_record_and_report(conn: Conn) -> None:
    conn.execute("create table public.orders (id bigint primary key, customer_id bigint)")
    conn.execute("create extension hypopg with schema extensions")
    conn.execute("create extension index_advisor with schema extensions")
    row = conn.execute(
        "select * from extensions.hypopg_create_index("
        "'create index on public.orders (customer_id)')"
    ).fetchone()
    assert row is not None
    indexrelid, indexname = row
    assert indexname.endswith("btree_orders")
    listed = conn.execute(
        "select index_name, table_name from extensions.hypopg_list_indexes"
    ).fetchall()
    assert listed == [(indexname, "orders")]
    assert "customer_id" in _one(conn, "select extensions.hypopg_get_indexdef(%s)", indexrelid)
    assert _one(conn, "select extensions.hypopg_drop_index(%s)", indexrelid) is True
    assert conn.execute("select * from extensions.hypopg()").fetchall() == []
    with pytest.raises(psycopg.errors.RaiseException, match="not a CREATE INDEX"):
        conn.execute("select * from extensions.hypopg_create_index('select 1')")
    advice = conn.execute(
        "select total_cost_before is not null, index_statements, errors "
        "from extensions.index_advisor('select * from public.orders where customer_id = 7')"
    ).fetchone()
    assert advice is not None
    assert advice[0] is True and advice[1] == []
    assert "not simulated locally" in advice[2][0]


STANDIN_MIGRATION = """
create extension if not exists pgmq;
select pgmq.create('emails');
create extension if not exists pg_hashids with schema extensions;
create extension if not exists pg_jsonschema with schema extensions;
create table public.accounts (
    id bigint generated always as identity primary key,
    settings jsonb not null default '{}'
        check (extensions.jsonb_matches_schema('{"type": "object"}', settings)),
    public_id text generated always as (extensions.id_encode(id, 'accounts')) stored
);
alter table public.accounts enable row level security;
comment on table public.accounts is 'accounts';
create extension if not exists http with schema extensions;
create function public.ping() returns integer language sql
    as $$ select (extensions.http_get('https://example.com')).status $$;
create extension if not exists pgsodium;
select pgsodium.create_key(name => 'app');
create extension if not exists pg_tle;
select pgtle.install_extension('dbflow_tle_demo', '1.0', 'a demo',
    $ext$ create function demo_answer() returns integer language sql as 'select 42' $ext$);
create extension dbflow_tle_demo;
create extension if not exists wrappers with schema extensions;
create foreign data wrapper stripe_wrapper
    handler extensions.stripe_fdw_handler validator extensions.stripe_fdw_validator;
create server stripe_server foreign data wrapper stripe_wrapper options (api_key_id 'x');
create extension if not exists hypopg with schema extensions;
create extension if not exists index_advisor with schema extensions;
"""


def test_a_project_using_the_stand_ins_resets_twice_and_diffs_clean() -> None:
    with project_dir("dbflow-standins-") as project:
        folder = project / "supabase" / "migrations"
        folder.mkdir(parents=True)
        (folder / "20250101000000_platform_extensions.sql").write_text(STANDIN_MIGRATION)
        for attempt in ("cold", "cold again"):  # pg_tle's files survive the first build
            reset = run(project, INV, "db.reset", "--no-seed")
            assert_no_traceback(reset)
            assert reset.returncode == 0, (attempt, reset.stderr[-3000:])
            (folder / "20250101000000_platform_extensions.sql").write_text(
                STANDIN_MIGRATION + f"-- {attempt}\n"
            )
        drift = run(project, INV, "db.diff", "--from", "migrations", "--to", "local")
        assert drift.returncode == 0, drift.stdout
        types = run(project, INV, "db.types", "--output", str(project / "db.ts"))
        assert types.returncode == 0, types.stderr
        assert "public_id: string | null" in (project / "db.ts").read_text()
