-- dbflow's own bookkeeping: the bootstrap version and the stand-in announcement.
create schema if not exists _dbflow authorization supabase_admin;

create table if not exists _dbflow.bootstrap (
    singleton boolean primary key default true check (singleton),
    version integer not null,
    strict boolean not null,
    installed_at timestamptz not null default now()
);
-- The platform's PostgreSQL major the bootstrap is for (what the image holds differs).
alter table _dbflow.bootstrap add column if not exists platform_major integer;
grant usage on schema _dbflow to public;
grant select on _dbflow.bootstrap to public;

-- A stand-in extension announces itself when created. Extension scripts run with
-- client_min_messages raised to WARNING, so the NOTICE comes from this event trigger instead.
create or replace function _dbflow.announce_standin() returns event_trigger
language plpgsql
as $$
declare
    created record;
begin
    for created in
        select e.extname, d.description
        from pg_event_trigger_ddl_commands() as c
        join pg_extension as e on e.oid = c.objid
        join pg_description as d on d.objoid = e.oid and d.classoid = 'pg_extension'::regclass
        where c.command_tag = 'CREATE EXTENSION'
          and d.description like 'dbflow stand-in%'
    loop
        raise notice 'extension "%" is a %', created.extname, created.description
            using hint = 'the real extension is not available on this engine; '
                         'dbflow installed a local stand-in with the same schema and signatures';
    end loop;
end
$$;

drop event trigger if exists dbflow_announce_standin;
create event trigger dbflow_announce_standin on ddl_command_end
    when tag in ('CREATE EXTENSION')
    execute function _dbflow.announce_standin();
