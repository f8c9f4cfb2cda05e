-- Schemas, platform extensions and the database's own settings.
alter schema public owner to postgres;
grant usage on schema public to anon, authenticated, service_role;

create schema if not exists extensions authorization postgres;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
alter default privileges in schema extensions
    grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema extensions
    grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges in schema extensions
    grant all on sequences to postgres, anon, authenticated, service_role;

create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;
do $$
begin
    if exists (select from pg_available_extensions where name = 'pg_stat_statements') then
        create extension if not exists pg_stat_statements with schema extensions;
    end if;
end
$$;

create schema if not exists auth authorization supabase_admin;
create schema if not exists storage authorization supabase_admin;
create schema if not exists realtime authorization supabase_admin;
create schema if not exists graphql_public authorization supabase_admin;
create schema if not exists supabase_functions authorization supabase_admin;
create schema if not exists _realtime authorization postgres;

create extension if not exists pg_graphql;
create extension if not exists supabase_vault;

-- As on the platform's images: pgsodium in its schema on PostgreSQL 15 (the 17 images leave
-- it out), pg_net in extensions (database webhooks on by default), and pgbouncer's schema
-- with the function its auth query calls.
do $$
begin
    if current_setting('dbflow.platform_major')::integer < 17 then
        create extension if not exists pgsodium;
        grant pgsodium_keyiduser, pgsodium_keyholder, pgsodium_keymaker to postgres
            with admin option;
    end if;
end
$$;
create extension if not exists pg_net with schema extensions;

create schema if not exists pgbouncer authorization pgbouncer;
create or replace function pgbouncer.get_auth(p_usename text)
returns table (username text, password text)
language sql
security definer
set search_path = ''
as $$
    select usename::text, passwd::text from pg_catalog.pg_shadow where usename = p_usename
$$;
revoke all on function pgbouncer.get_auth(text) from public;
grant execute on function pgbouncer.get_auth(text) to pgbouncer;
