-- Platform roles, cluster-wide and idempotent (roles survive DROP DATABASE).
-- Reads dbflow.strict: 'on' makes postgres a non-superuser as on the hosted platform.
do $$
declare
    spec record;
    strict_mode boolean := coalesce(current_setting('dbflow.strict', true), 'off') = 'on';
begin
    for spec in
        select * from (values
            ('anon',                   'NOLOGIN INHERIT'),
            ('authenticated',          'NOLOGIN INHERIT'),
            ('service_role',           'NOLOGIN INHERIT BYPASSRLS'),
            ('authenticator',          'LOGIN NOINHERIT'),
            ('supabase_auth_admin',    'LOGIN NOINHERIT CREATEROLE'),
            ('supabase_storage_admin', 'LOGIN NOINHERIT CREATEROLE'),
            ('supabase_functions_admin', 'LOGIN NOINHERIT CREATEROLE'),
            ('supabase_replication_admin', 'LOGIN REPLICATION'),
            ('supabase_read_only_user', 'LOGIN BYPASSRLS'),
            ('supabase_etl_admin',     'LOGIN REPLICATION'),
            ('supabase_realtime_admin', 'LOGIN NOINHERIT CREATEROLE REPLICATION'),
            ('supabase_superuser',     'NOLOGIN'),
            ('pgbouncer',              'LOGIN'),
            ('dashboard_user',         'NOLOGIN CREATEDB CREATEROLE REPLICATION'),
            ('postgres',               'LOGIN CREATEDB CREATEROLE REPLICATION BYPASSRLS')
        ) as roles (name, attributes)
    loop
        if not exists (select from pg_roles where rolname = spec.name) then
            execute format('create role %I %s', spec.name, spec.attributes);
        else
            execute format('alter role %I %s', spec.name, spec.attributes);
        end if;
        if spec.attributes like 'LOGIN%' then
            -- The Supabase stack's local password; this cluster listens on loopback only.
            execute format('alter role %I password %L', spec.name, 'postgres');
        end if;
    end loop;

    if strict_mode then
        alter role postgres nosuperuser;
    else
        alter role postgres superuser;
    end if;
end
$$;

alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';
alter role supabase_auth_admin set search_path = auth;
alter role supabase_auth_admin set idle_in_transaction_session_timeout = 60000;
alter role supabase_storage_admin set search_path = storage;
alter role postgres set search_path = "$user", public, extensions;
alter role supabase_admin set search_path = "$user", public, auth, extensions;

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to supabase_storage_admin;
grant authenticator to supabase_storage_admin;
grant anon, authenticated, service_role to postgres with admin option;
grant supabase_auth_admin, supabase_storage_admin to postgres;
grant pg_monitor, pg_read_all_data, pg_signal_backend to postgres;
grant pg_read_all_data to supabase_read_only_user;
grant anon, authenticated, service_role to supabase_realtime_admin;
alter role supabase_realtime_admin set search_path = public, extensions, realtime;
grant pg_monitor, pg_signal_backend to supabase_superuser;
grant supabase_superuser to postgres;
