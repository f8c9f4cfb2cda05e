-- Realtime, the GraphQL placeholder, database webhooks, the realtime publication, and the
-- default privileges that let API roles use what postgres creates in public.
create table if not exists realtime.messages (
    topic text not null,
    extension text not null,
    payload jsonb,
    event text,
    private boolean default false,
    updated_at timestamp not null default now(),
    inserted_at timestamp not null default now(),
    id uuid not null default gen_random_uuid(),
    primary key (id, inserted_at)
);
alter table realtime.messages enable row level security;
create table if not exists realtime.schema_migrations (
    version bigint primary key,
    inserted_at timestamp(0)
);

create or replace function realtime.topic() returns text
language sql stable
as $$
    select nullif(current_setting('realtime.topic', true), '')::text
$$;

-- Broadcast from the database, as the platform's Realtime provides it: a message row.
create or replace function realtime.send(
    payload jsonb, event text, topic text, private boolean default true
) returns void
language plpgsql
as $$
begin
    insert into realtime.messages (payload, event, topic, private, extension)
    values (payload, event, topic, private, 'broadcast');
end
$$;

create or replace function realtime.broadcast_changes(
    topic_name text, event_name text, operation text, table_name text, table_schema text,
    new record, old record, level text default 'ROW'
) returns void
language plpgsql
as $$
begin
    perform realtime.send(
        jsonb_build_object(
            'old_record', case when old is null then null else to_jsonb(old) end,
            'record', case when new is null then null else to_jsonb(new) end,
            'operation', operation, 'table', table_name, 'schema', table_schema
        ),
        event_name, topic_name, true
    );
end
$$;

grant usage on schema realtime to postgres, anon, authenticated, service_role;
grant all on realtime.messages to postgres, anon, authenticated, service_role;
grant execute on function realtime.topic() to postgres, anon, authenticated, service_role;
grant execute on function realtime.send(jsonb, text, text, boolean)
    to postgres, anon, authenticated, service_role;
grant execute on function realtime.broadcast_changes(text, text, text, text, text, record, record, text)
    to postgres, anon, authenticated, service_role;

create or replace function graphql_public.graphql(
    "operationName" text default null,
    query text default null,
    variables jsonb default null,
    extensions jsonb default null
) returns jsonb
language sql
as $$
    select graphql.resolve(
        query := query,
        variables := coalesce(variables, '{}'),
        "operationName" := "operationName",
        extensions := extensions
    )
$$;
grant usage on schema graphql_public to postgres, anon, authenticated, service_role;
grant execute on function graphql_public.graphql(text, text, jsonb, jsonb)
    to postgres, anon, authenticated, service_role;

create table if not exists supabase_functions.migrations (
    version text primary key,
    inserted_at timestamptz not null default now()
);
create table if not exists supabase_functions.hooks (
    id bigserial primary key,
    hook_table_id integer not null,
    hook_name text not null,
    created_at timestamptz not null default now(),
    request_id bigint
);
comment on table supabase_functions.hooks is
    'Supabase Functions Hooks: Audit trail for triggered hooks.';

-- Database webhooks: Studio-generated triggers call this. It records the hook and, when
-- pg_net (or its stand-in) is installed, queues the HTTP request through it.
create or replace function supabase_functions.http_request() returns trigger
language plpgsql
security definer
set search_path = supabase_functions
as $$
declare
    request_id bigint;
    payload jsonb;
    url text := tg_argv[0]::text;
    method text := tg_argv[1]::text;
    headers jsonb default '{}'::jsonb;
    params jsonb default '{}'::jsonb;
    timeout_ms integer default 1000;
begin
    if url is null or url = 'null' then
        raise exception 'url argument is missing';
    end if;
    if method is null or method = 'null' then
        raise exception 'method argument is missing';
    end if;
    if tg_argv[2] is not null and tg_argv[2] <> 'null' then
        headers = tg_argv[2]::jsonb;
    end if;
    if tg_argv[3] is not null and tg_argv[3] <> 'null' then
        params = tg_argv[3]::jsonb;
    end if;
    if tg_argv[4] is not null and tg_argv[4] <> 'null' then
        timeout_ms = tg_argv[4]::integer;
    end if;
    payload = jsonb_build_object(
        'old_record', old,
        'record', new,
        'type', tg_op,
        'table', tg_table_name,
        'schema', tg_table_schema
    );
    if to_regnamespace('net') is not null then
        if method = 'GET' then
            execute 'select net.http_get($1, $2, $3, $4)'
                into request_id using url, params, headers, timeout_ms;
        else
            execute 'select net.http_post($1, $2, $3, $4, $5)'
                into request_id using url, payload, params, headers, timeout_ms;
        end if;
    end if;
    insert into supabase_functions.hooks (hook_table_id, hook_name, request_id)
    values (tg_relid, tg_name, request_id);
    return new;
end
$$;

grant usage on schema supabase_functions to postgres, anon, authenticated, service_role;
grant all on all tables in schema supabase_functions to postgres, supabase_functions_admin;
grant all on all sequences in schema supabase_functions to postgres, supabase_functions_admin;
grant execute on function supabase_functions.http_request()
    to postgres, anon, authenticated, service_role;
alter table supabase_functions.hooks owner to supabase_functions_admin;
alter table supabase_functions.migrations owner to supabase_functions_admin;

do $$
begin
    if not exists (select from pg_publication where pubname = 'supabase_realtime') then
        create publication supabase_realtime;
    end if;
end
$$;
alter publication supabase_realtime owner to postgres;

-- New objects postgres (or supabase_admin) creates in public are usable by the API roles;
-- RLS decides which rows. This is the platform default that migrations rely on.
alter default privileges for role postgres in schema public
    grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
    grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
    grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
    grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
    grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
    grant all on sequences to postgres, anon, authenticated, service_role;

-- The platform's event triggers (written here from what each does): the grants that follow
-- when pg_net or pg_graphql is created or the cron schema appears, and graphql_public's
-- placeholder when pg_graphql is dropped. pg_net's grants are applied to the pg_net the
-- bootstrap installed, as the platform applies them to one already enabled. They run as the
-- bootstrap's superuser (security definer), as the platform runs them for postgres.
create or replace function _dbflow.grant_pg_net_access_now() returns void
language plpgsql
security definer
set search_path = pg_catalog
as $$
declare
    http regprocedure;
begin
    if to_regnamespace('net') is null then
        return;
    end if;
    grant usage on schema net to supabase_functions_admin, postgres, anon, authenticated,
        service_role;
    for http in
        select p.oid::regprocedure from pg_proc p
        where p.pronamespace = 'net'::regnamespace and p.proname in ('http_get', 'http_post')
    loop
        execute format('alter function %s security definer set search_path = net', http);
        execute format('revoke all on function %s from public', http);
        execute format(
            'grant execute on function %s to supabase_functions_admin, postgres, anon, '
            'authenticated, service_role', http);
    end loop;
end
$$;

create or replace function extensions.grant_pg_net_access() returns event_trigger
language plpgsql
security definer
set search_path = pg_catalog
as $$
begin
    if exists (
        select from pg_event_trigger_ddl_commands() as command
        join pg_extension as extension on extension.oid = command.objid
        where extension.extname = 'pg_net'
    ) then
        perform _dbflow.grant_pg_net_access_now();
    end if;
end
$$;
comment on function extensions.grant_pg_net_access() is 'Grants access to pg_net';

create or replace function extensions.grant_pg_cron_access() returns event_trigger
language plpgsql
security definer
set search_path = pg_catalog
as $$
begin
    if exists (
        select from pg_event_trigger_ddl_commands() as command
        join pg_namespace as schema on schema.oid = command.objid
        where schema.nspname = 'cron'
    ) then
        grant usage on schema cron to postgres with grant option;
        alter default privileges in schema cron grant all on tables to postgres with grant option;
        alter default privileges in schema cron
            grant all on functions to postgres with grant option;
        alter default privileges in schema cron
            grant all on sequences to postgres with grant option;
        grant all privileges on all tables in schema cron to postgres with grant option;
    end if;
end
$$;
comment on function extensions.grant_pg_cron_access() is 'Grants access to pg_cron';

create or replace function extensions.grant_pg_graphql_access() returns event_trigger
language plpgsql
security definer
set search_path = pg_catalog
as $$
begin
    if exists (
        select from pg_event_trigger_ddl_commands() as command
        join pg_proc as function on function.oid = command.objid
        where function.proname = 'resolve'
          and function.pronamespace = to_regnamespace('graphql')
    ) then
        grant usage on schema graphql to postgres, anon, authenticated, service_role;
        grant execute on all functions in schema graphql
            to postgres, anon, authenticated, service_role;
    end if;
end
$$;
comment on function extensions.grant_pg_graphql_access() is 'Grants access to pg_graphql';

create or replace function extensions.set_graphql_placeholder() returns event_trigger
language plpgsql
security definer
set search_path = pg_catalog
as $$
begin
    if exists (
        select from pg_event_trigger_dropped_objects()
        where object_type = 'extension' and object_identity = 'pg_graphql'
    ) then
        create or replace function graphql_public.graphql(
            "operationName" text default null,
            query text default null,
            variables jsonb default null,
            extensions jsonb default null
        ) returns jsonb
        language plpgsql
        as $placeholder$
        begin
            -- pg_graphql created again later answers again (its script may not replace this)
            if to_regprocedure('graphql.resolve(text, jsonb, text, jsonb)') is null then
                return jsonb_build_object(
                    'data', null::jsonb,
                    'errors', array['pg_graphql extension is not enabled.']
                );
            end if;
            return graphql.resolve(
                query := query,
                variables := coalesce(variables, '{}'),
                "operationName" := "operationName",
                extensions := extensions
            );
        end
        $placeholder$;
    end if;
end
$$;
comment on function extensions.set_graphql_placeholder() is
    'Reintroduces placeholder function for graphql_public.graphql';

do $$
begin
    if not exists (select from pg_event_trigger where evtname = 'issue_pg_net_access') then
        create event trigger issue_pg_net_access on ddl_command_end
            when tag in ('CREATE EXTENSION') execute function extensions.grant_pg_net_access();
    end if;
    if not exists (select from pg_event_trigger where evtname = 'issue_pg_cron_access') then
        create event trigger issue_pg_cron_access on ddl_command_end
            when tag in ('CREATE SCHEMA') execute function extensions.grant_pg_cron_access();
    end if;
    if not exists (select from pg_event_trigger where evtname = 'issue_pg_graphql_access') then
        create event trigger issue_pg_graphql_access on ddl_command_end
            when tag in ('CREATE FUNCTION')
            execute function extensions.grant_pg_graphql_access();
    end if;
    if not exists (select from pg_event_trigger where evtname = 'issue_graphql_placeholder') then
        create event trigger issue_graphql_placeholder on sql_drop
            when tag in ('DROP EXTENSION') execute function extensions.set_graphql_placeholder();
    end if;
end
$$;
select _dbflow.grant_pg_net_access_now();
