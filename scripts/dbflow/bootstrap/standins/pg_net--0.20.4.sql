-- dbflow stand-in for pg_net (Supabase's async HTTP extension).
-- Same schema and signatures; requests are recorded, never sent. Local development only.
create schema if not exists net;

create table net.http_request_queue (
    id bigserial primary key,
    method text not null,
    url text not null,
    headers jsonb not null default '{}',
    body bytea,
    timeout_milliseconds integer not null default 5000,
    created_at timestamptz not null default now()
);

create table net._http_response (
    id bigint,
    status_code integer,
    content_type text,
    headers jsonb,
    content text,
    timed_out boolean,
    error_msg text,
    created timestamptz not null default now()
);

create function net.http_get(
    url text,
    params jsonb default '{}'::jsonb,
    headers jsonb default '{}'::jsonb,
    timeout_milliseconds integer default 5000
) returns bigint
language sql volatile
set search_path = ''
as $$
    insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
    values ('GET', url, headers, timeout_milliseconds)
    returning id
$$;

create function net.http_post(
    url text,
    body jsonb default '{}'::jsonb,
    params jsonb default '{}'::jsonb,
    headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
    timeout_milliseconds integer default 5000
) returns bigint
language sql volatile
set search_path = ''
as $$
    insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
    values ('POST', url, headers, convert_to(body::text, 'UTF8'), timeout_milliseconds)
    returning id
$$;

create function net.http_delete(
    url text,
    params jsonb default '{}'::jsonb,
    headers jsonb default '{}'::jsonb,
    timeout_milliseconds integer default 5000
) returns bigint
language sql volatile
set search_path = ''
as $$
    insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
    values ('DELETE', url, headers, timeout_milliseconds)
    returning id
$$;

-- The worker's controls (0.19 on): there is no worker locally, so each answers at once.
create function net.worker_restart() returns boolean language sql as $$ select true $$;
create function net.wait_until_running() returns void language sql as $$ select $$;
create function net.wake() returns void language sql as $$ select $$;
comment on function net.wait_until_running() is 'waits until the worker is running';

grant usage on schema net to postgres, anon, authenticated, service_role;
grant all on all tables in schema net to postgres, service_role;
grant all on all sequences in schema net to postgres, service_role, anon, authenticated;
grant insert on net.http_request_queue to anon, authenticated;
grant execute on all functions in schema net to postgres, anon, authenticated, service_role;
