-- dbflow stand-in for uuid-ossp, for engines built without it. Same function names;
-- uuid_generate_v1, v1mc and v5 are not provided (they fail as undefined functions).
create function uuid_nil() returns uuid language sql immutable parallel safe
as $$ select '00000000-0000-0000-0000-000000000000'::uuid $$;

create function uuid_ns_dns() returns uuid language sql immutable parallel safe
as $$ select '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::uuid $$;

create function uuid_ns_url() returns uuid language sql immutable parallel safe
as $$ select '6ba7b811-9dad-11d1-80b4-00c04fd430c8'::uuid $$;

create function uuid_ns_oid() returns uuid language sql immutable parallel safe
as $$ select '6ba7b812-9dad-11d1-80b4-00c04fd430c8'::uuid $$;

create function uuid_ns_x500() returns uuid language sql immutable parallel safe
as $$ select '6ba7b814-9dad-11d1-80b4-00c04fd430c8'::uuid $$;

create function uuid_generate_v4() returns uuid language sql volatile parallel safe
as $$ select gen_random_uuid() $$;

-- RFC 4122 version 3: MD5 of namespace || name, with the version and variant bits set.
create function uuid_generate_v3(namespace uuid, name text) returns uuid
language sql immutable strict parallel safe
as $$
    with hashed as (
        select decode(md5(uuid_send(namespace) || convert_to(name, 'UTF8')), 'hex') as h
    )
    select encode(
        set_byte(set_byte(h, 6, (get_byte(h, 6) & 15) | 48), 8, (get_byte(h, 8) & 63) | 128),
        'hex'
    )::uuid
    from hashed
$$;
