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
