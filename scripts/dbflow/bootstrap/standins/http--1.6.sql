-- dbflow stand-in for the http extension (pgsql-http): the same types and functions, so
-- migrations that create functions calling it apply. A request raises an error at call time:
-- a local database sends nothing. urlencode, http_header and the bytea helpers work.

create domain http_method as text
    check (value in ('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'));

create domain content_type as text
    check (value ~ '^\S+\/\S+');

create type http_header as (field varchar, value varchar);

create type http_request as (
    method http_method,
    uri varchar,
    headers http_header[],
    content_type varchar,
    content varchar
);

create type http_response as (
    status integer,
    content_type varchar,
    headers http_header[],
    content varchar
);

create function http_header(field varchar, value varchar) returns http_header
language sql immutable as $$ select row(field, value)::@extschema@.http_header $$;

create function http(request @extschema@.http_request) returns @extschema@.http_response
language plpgsql as $$
begin
    raise exception 'http stand-in: % % was not sent (a local database has no network)',
        request.method, request.uri
        using hint = 'test this code against the real extension; locally, stub the call';
end;
$$;

create function http_get(uri varchar) returns http_response
language sql as $$ select @extschema@.http(('GET', uri, null, null, null)::@extschema@.http_request) $$;

create function http_get(uri varchar, data jsonb) returns http_response
language sql as $$
    select @extschema@.http(('GET', uri || '?' || @extschema@.urlencode(data), null, null, null)
        ::@extschema@.http_request)
$$;

create function http_post(uri varchar, content varchar, content_type varchar)
returns http_response
language sql as $$
    select @extschema@.http(('POST', uri, null, content_type, content)::@extschema@.http_request)
$$;

create function http_post(uri varchar, data jsonb) returns http_response
language sql as $$
    select @extschema@.http(('POST', uri, null, 'application/x-www-form-urlencoded',
        @extschema@.urlencode(data))::@extschema@.http_request)
$$;

create function http_put(uri varchar, content varchar, content_type varchar)
returns http_response
language sql as $$
    select @extschema@.http(('PUT', uri, null, content_type, content)::@extschema@.http_request)
$$;

create function http_patch(uri varchar, content varchar, content_type varchar)
returns http_response
language sql as $$
    select @extschema@.http(('PATCH', uri, null, content_type, content)::@extschema@.http_request)
$$;

create function http_delete(uri varchar) returns http_response
language sql as $$ select @extschema@.http(('DELETE', uri, null, null, null)::@extschema@.http_request) $$;

create function http_delete(uri varchar, content varchar, content_type varchar)
returns http_response
language sql as $$
    select @extschema@.http(('DELETE', uri, null, content_type, content)::@extschema@.http_request)
$$;

create function http_head(uri varchar) returns http_response
language sql as $$ select @extschema@.http(('HEAD', uri, null, null, null)::@extschema@.http_request) $$;

create function http_set_curlopt(curlopt varchar, value varchar) returns boolean
language sql as $$ select set_config('http_standin.' || lower(curlopt), value, false) is not null $$;

create function http_reset_curlopt() returns boolean language sql as $$ select true $$;

create function http_list_curlopt() returns table (curlopt text, value text)
language sql as $$
    select substr(name, 14), setting from pg_settings where name like 'http_standin.%'
$$;

create function urlencode(string varchar) returns text
language sql immutable strict as $$
    select coalesce(string_agg(
        case
            when ch ~ '[A-Za-z0-9._~-]' then ch
            else upper(regexp_replace(encode(convert_to(ch, 'UTF8'), 'hex'), '(..)', '%\1', 'g'))
        end, '' order by n), '')
    from regexp_split_to_table(string, '') with ordinality as t(ch, n)
$$;

create function urlencode(data jsonb) returns text
language sql immutable strict as $$
    select string_agg(@extschema@.urlencode(key) || '=' || @extschema@.urlencode(value), '&'
        order by key)
    from jsonb_each_text(data)
$$;

create function urlencode(string bytea) returns text
language sql immutable strict as $$ select @extschema@.urlencode(convert_from(string, 'UTF8')) $$;

create function text_to_bytea(data text) returns bytea
language sql immutable strict as $$ select convert_to(data, 'UTF8') $$;

create function bytea_to_text(data bytea) returns text
language sql immutable strict as $$ select convert_from(data, 'UTF8') $$;
