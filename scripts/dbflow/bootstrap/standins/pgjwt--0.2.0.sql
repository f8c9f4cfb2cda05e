-- dbflow stand-in for pgjwt, written for dbflow: the same functions, built on pgcrypto's hmac.
create function @extschema@.url_encode(data bytea) returns text
language sql immutable
as $$
    select translate(encode(data, 'base64'), E'+/=\n', '-_')
$$;

create function @extschema@.url_decode(data text) returns bytea
language sql immutable
as $$
    with padded as (
        select translate(data, '-_', '+/') || repeat('=', (4 - length(data) % 4) % 4) as value
    )
    select decode(value, 'base64') from padded
$$;

create function @extschema@.algorithm_sign(signables text, secret text, algorithm text)
returns text
language sql immutable
set search_path = @extschema@, pg_catalog
as $$
    select @extschema@.url_encode(hmac(
        signables,
        secret,
        case algorithm
            when 'HS256' then 'sha256'
            when 'HS384' then 'sha384'
            when 'HS512' then 'sha512'
        end
    ))
$$;

create function @extschema@.sign(payload json, secret text, algorithm text default 'HS256')
returns text
language sql immutable
set search_path = @extschema@, pg_catalog
as $$
    with header as (
        select @extschema@.url_encode(convert_to(
            json_build_object('alg', algorithm, 'typ', 'JWT')::text, 'utf8')) as data
    ), body as (
        select @extschema@.url_encode(convert_to(payload::text, 'utf8')) as data
    ), signables as (
        select header.data || '.' || body.data as data from header, body
    )
    select signables.data || '.' || @extschema@.algorithm_sign(signables.data, secret, algorithm)
    from signables
$$;

create function @extschema@.verify(token text, secret text, algorithm text default 'HS256')
returns table (header json, payload json, valid boolean)
language sql immutable
set search_path = @extschema@, pg_catalog
as $$
    select
        convert_from(@extschema@.url_decode(parts[1]), 'utf8')::json,
        convert_from(@extschema@.url_decode(parts[2]), 'utf8')::json,
        parts[3] = @extschema@.algorithm_sign(parts[1] || '.' || parts[2], secret, algorithm)
    from (select string_to_array(token, '.') as parts) as token_parts
$$;
