-- dbflow stand-in for pgcrypto, for engines built without OpenSSL. Same names for the
-- functions migrations use most; crypt, gen_salt and the pgp_* functions are not provided.
create function gen_random_bytes(integer) returns bytea
language plpgsql volatile strict parallel safe
as $$
begin
    if $1 < 1 or $1 > 1024 then
        raise exception 'Length not in range';
    end if;
    -- Each block hashes 244 bits from the server's strong random source (gen_random_uuid).
    return substring(
        (select string_agg(
            sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())), ''::bytea
        ) from generate_series(1, ($1 + 31) / 32))
        from 1 for $1
    );
end
$$;

create function gen_random_uuid() returns uuid
language sql volatile parallel safe
as $$ select pg_catalog.gen_random_uuid() $$;

create function digest(bytea, text) returns bytea
language plpgsql immutable strict parallel safe
as $$
begin
    case lower($2)
        when 'md5' then return decode(md5($1), 'hex');
        when 'sha224' then return sha224($1);
        when 'sha256' then return sha256($1);
        when 'sha384' then return sha384($1);
        when 'sha512' then return sha512($1);
        else raise exception 'Cannot use "%": No such hash algorithm', $2;
    end case;
end
$$;

create function digest(text, text) returns bytea
language sql immutable strict parallel safe
as $$ select digest(convert_to($1, 'UTF8'), $2) $$;

create function hmac(bytea, bytea, text) returns bytea
language plpgsql immutable strict parallel safe
as $$
declare
    block_size integer := case when lower($3) in ('sha384', 'sha512') then 128 else 64 end;
    key bytea := $2;
    inner_pad bytea;
    outer_pad bytea;
    i integer;
begin
    if length(key) > block_size then
        key := digest(key, $3);
    end if;
    key := key || decode(repeat('00', block_size - length(key)), 'hex');
    inner_pad := key;
    outer_pad := key;
    for i in 0 .. block_size - 1 loop
        inner_pad := set_byte(inner_pad, i, get_byte(key, i) # 54);
        outer_pad := set_byte(outer_pad, i, get_byte(key, i) # 92);
    end loop;
    return digest(outer_pad || digest(inner_pad || $1, $3), $3);
end
$$;

create function hmac(text, text, text) returns bytea
language sql immutable strict parallel safe
as $$ select hmac(convert_to($1, 'UTF8'), convert_to($2, 'UTF8'), $3) $$;
