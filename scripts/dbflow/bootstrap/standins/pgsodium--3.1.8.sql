-- dbflow stand-in for pgsodium. The key table, the key types and the functions projects call
-- most (random bytes, keys, secretbox, deterministic AEAD, generic hash, auth, password hash,
-- base64) exist with the same signatures, so migrations and code that use them apply and run.
--
-- This is NOT real cryptography. libsodium's primitives (XChaCha20-Poly1305, BLAKE2b, Argon2,
-- HMAC-SHA512-256) are replaced by constructions on SHA-256 from core PostgreSQL: round trips
-- work and tampering is detected, but the bytes differ from the real extension's and nothing
-- here is fit to protect data. Transparent column encryption (SECURITY LABEL FOR pgsodium) is
-- not reproduced: it needs the real extension's label provider.

do $roles$
begin
    if not exists (select 1 from pg_roles where rolname = 'pgsodium_keyiduser') then
        create role pgsodium_keyiduser nologin;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'pgsodium_keyholder') then
        create role pgsodium_keyholder nologin in role pgsodium_keyiduser;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'pgsodium_keymaker') then
        create role pgsodium_keymaker nologin in role pgsodium_keyholder;
    end if;
end
$roles$;

create type pgsodium.key_status as enum ('default', 'valid', 'invalid', 'expired');
create type pgsodium.key_type as enum (
    'aead-ietf', 'aead-det', 'hmacsha512', 'hmacsha256', 'auth', 'shorthash', 'generichash',
    'kdf', 'secretbox', 'secretstream', 'stream_xchacha20'
);

create table pgsodium.key (
    id uuid primary key default gen_random_uuid(),
    status pgsodium.key_status default 'valid',
    created timestamptz not null default now(),
    expires timestamptz,
    key_type pgsodium.key_type,
    key_id bigserial,
    key_context bytea default 'pgsodium',
    name text unique,
    associated_data text default 'associated',
    raw_key bytea,
    raw_key_nonce bytea,
    parent_key uuid references pgsodium.key (id),
    comment text,
    user_data text
);

create view pgsodium.valid_key as
    select id, name, status, key_type, key_id, key_context, created, expires, associated_data
    from pgsodium.key
    where status in ('valid', 'default') and (expires is null or expires > now());

-- Random bytes from the server's strong source (gen_random_uuid), any length.
create function pgsodium.randombytes_buf(size integer) returns bytea
language sql volatile strict as $$
    select substring(string_agg(sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())),
                                ''::bytea) from 1 for size)
    from generate_series(1, (size + 31) / 32)
$$;

create function pgsodium.randombytes_random() returns integer
language sql volatile as $$
    select ('x' || encode(pgsodium.randombytes_buf(4), 'hex'))::bit(32)::integer
$$;

create function pgsodium.randombytes_uniform(upper_bound integer) returns integer
language sql volatile strict as $$
    select (('x' || encode(pgsodium.randombytes_buf(8), 'hex'))::bit(64)::bigint & 9223372036854775807)
        % upper_bound
$$;

create function pgsodium.randombytes_new_seed() returns bytea
language sql volatile as $$ select pgsodium.randombytes_buf(32) $$;

-- HMAC over SHA-256, built from core sha256().
create function pgsodium._xor_each(data bytea, pad integer) returns bytea
language sql immutable strict as $$
    select string_agg(set_byte('\x00'::bytea, 0, get_byte(data, i) # pad), ''::bytea order by i)
    from generate_series(0, length(data) - 1) i
$$;

create function pgsodium._hmac(message bytea, key bytea) returns bytea
language sql immutable strict as $$
    with block as (
        select decode(rpad(encode(case when length(key) > 64 then sha256(key) else key end, 'hex'),
                           128, '0'), 'hex') as k
    )
    select sha256(pgsodium._xor_each(k, 92) || sha256(pgsodium._xor_each(k, 54) || message))
    from block
$$;

-- A keystream from SHA-256 of key, nonce and a counter, XORed with the message.
create function pgsodium._xor_stream(message bytea, nonce bytea, key bytea) returns bytea
language sql immutable strict as $$
    select coalesce(string_agg(set_byte('\x00'::bytea, 0,
        get_byte(message, i) # get_byte(sha256(key || nonce || int4send(i / 32)), i % 32)),
        ''::bytea order by i), ''::bytea)
    from generate_series(0, length(message) - 1) i
$$;

create function pgsodium.crypto_secretbox_keygen() returns bytea
language sql volatile as $$ select pgsodium.randombytes_buf(32) $$;

create function pgsodium.crypto_secretbox_noncegen() returns bytea
language sql volatile as $$ select pgsodium.randombytes_buf(24) $$;

create function pgsodium.crypto_secretbox(message bytea, nonce bytea, key bytea) returns bytea
language sql immutable strict as $$
    with sealed as (select pgsodium._xor_stream(message, nonce, key) as body)
    select substring(pgsodium._hmac(nonce || body, key) from 1 for 16) || body from sealed
$$;

create function pgsodium.crypto_secretbox_open(ciphertext bytea, nonce bytea, key bytea)
returns bytea
language plpgsql immutable strict as $$
begin
    if length(ciphertext) < 16 or substring(ciphertext from 1 for 16)
        <> substring(pgsodium._hmac(nonce || substring(ciphertext from 17), key) from 1 for 16) then
        raise exception 'invalid ciphertext';
    end if;
    return pgsodium._xor_stream(substring(ciphertext from 17), nonce, key);
end;
$$;

create function pgsodium._raw_key(key_uuid uuid) returns bytea
language plpgsql stable strict as $$
declare
    found bytea;
begin
    select coalesce(raw_key, sha256(convert_to(id::text, 'UTF8') || key_context)) into found
    from pgsodium.key where id = key_uuid;
    if found is null then
        raise exception 'pgsodium stand-in: no key with id %', key_uuid;
    end if;
    return found;
end;
$$;

create function pgsodium.crypto_aead_det_keygen() returns bytea
language sql volatile as $$ select pgsodium.randombytes_buf(32) $$;

create function pgsodium.crypto_aead_det_noncegen() returns bytea
language sql volatile as $$ select pgsodium.randombytes_buf(16) $$;

create function pgsodium.crypto_aead_det_encrypt(
    message bytea, additional bytea, key bytea, nonce bytea default null
) returns bytea
language sql immutable as $$
    select pgsodium.crypto_secretbox(message,
        coalesce(nonce, '') || sha256(coalesce(additional, '') || message), key)
        || coalesce(nonce, '') || sha256(coalesce(additional, '') || message)
$$;

create function pgsodium.crypto_aead_det_decrypt(
    message bytea, additional bytea, key bytea, nonce bytea default null
) returns bytea
language plpgsql immutable as $$
declare
    tail integer := coalesce(length(nonce), 0) + 32;
    synthetic bytea := substring(message from length(message) - tail + 1);
    opened bytea;
begin
    opened := pgsodium.crypto_secretbox_open(substring(message from 1 for length(message) - tail),
                                             synthetic, key);
    if substring(synthetic from coalesce(length(nonce), 0) + 1)
        <> sha256(coalesce(additional, '') || opened) then
        raise exception 'invalid ciphertext';
    end if;
    return opened;
end;
$$;

create function pgsodium.crypto_aead_det_encrypt(
    message bytea, additional bytea, key_uuid uuid
) returns bytea
language sql stable as $$
    select pgsodium.crypto_aead_det_encrypt(message, additional, pgsodium._raw_key(key_uuid))
$$;

create function pgsodium.crypto_aead_det_decrypt(
    message bytea, additional bytea, key_uuid uuid
) returns bytea
language sql stable as $$
    select pgsodium.crypto_aead_det_decrypt(message, additional, pgsodium._raw_key(key_uuid))
$$;

create function pgsodium.crypto_aead_det_encrypt(
    message bytea, additional bytea, key_uuid uuid, nonce bytea
) returns bytea
language sql stable as $$
    select pgsodium.crypto_aead_det_encrypt(message, additional, pgsodium._raw_key(key_uuid), nonce)
$$;

create function pgsodium.crypto_aead_det_decrypt(
    message bytea, additional bytea, key_uuid uuid, nonce bytea
) returns bytea
language sql stable as $$
    select pgsodium.crypto_aead_det_decrypt(message, additional, pgsodium._raw_key(key_uuid), nonce)
$$;

create function pgsodium.crypto_generichash(message bytea, key bytea default null) returns bytea
language sql immutable as $$
    select case when key is null then sha256(message) else pgsodium._hmac(message, key) end
$$;

create function pgsodium.crypto_auth(message bytea, key bytea) returns bytea
language sql immutable strict as $$ select pgsodium._hmac(message, key) $$;

create function pgsodium.crypto_auth_verify(mac bytea, message bytea, key bytea) returns boolean
language sql immutable strict as $$ select pgsodium._hmac(message, key) = mac $$;

create function pgsodium.crypto_auth_keygen() returns bytea
language sql volatile as $$ select pgsodium.randombytes_buf(32) $$;

create function pgsodium.crypto_pwhash_saltgen() returns bytea
language sql volatile as $$ select pgsodium.randombytes_buf(16) $$;

create function pgsodium.crypto_pwhash_str(password bytea) returns bytea
language sql volatile strict as $$
    with salt as (select pgsodium.randombytes_buf(16) as s)
    select convert_to('$dbflow-sha256$' || encode(s, 'hex') || '$'
        || encode(sha256(s || password), 'hex'), 'UTF8')
    from salt
$$;

create function pgsodium.crypto_pwhash_str_verify(hashed_password bytea, password bytea)
returns boolean
language sql immutable strict as $$
    select split_part(convert_from(hashed_password, 'UTF8'), '$', 4)
        = encode(sha256(decode(split_part(convert_from(hashed_password, 'UTF8'), '$', 3), 'hex')
                        || password), 'hex')
$$;

create function pgsodium.sodium_bin2base64(bin bytea) returns text
language sql immutable strict as $$
    select translate(rtrim(replace(encode(bin, 'base64'), E'\n', ''), '='), '+/', '-_')
$$;

create function pgsodium.sodium_base642bin(base64 text) returns bytea
language sql immutable strict as $$
    select decode(translate(base64, '-_', '+/') || repeat('=', (4 - length(base64) % 4) % 4),
                  'base64')
$$;

create function pgsodium.create_key(
    key_type pgsodium.key_type default 'aead-det',
    name text default null,
    raw_key bytea default null,
    raw_key_nonce bytea default null,
    parent_key uuid default null,
    key_context bytea default 'pgsodium',
    expires timestamptz default null,
    associated_data text default ''
) returns pgsodium.valid_key
language plpgsql volatile as $$
declare
    made uuid;
    result pgsodium.valid_key;
begin
    insert into pgsodium.key (key_type, name, raw_key, raw_key_nonce, parent_key, key_context,
                              expires, associated_data)
    values (create_key.key_type, create_key.name,
            coalesce(create_key.raw_key, pgsodium.randombytes_buf(32)), create_key.raw_key_nonce,
            create_key.parent_key, create_key.key_context, create_key.expires,
            create_key.associated_data)
    returning id into made;
    select * into result from pgsodium.valid_key where id = made;
    return result;
end;
$$;
