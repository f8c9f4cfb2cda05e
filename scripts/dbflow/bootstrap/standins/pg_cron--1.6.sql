-- dbflow stand-in for pg_cron. Same tables and functions; jobs are recorded, never run.
-- Like the real extension, its objects live in schema cron whatever schema CREATE EXTENSION
-- names: the hosted platform accepts WITH SCHEMA extensions, the real control file only
-- pg_catalog; the stand-in accepts both.
create schema cron;
create table cron.job (
    jobid bigserial primary key,
    schedule text not null,
    command text not null,
    nodename text not null default 'localhost',
    nodeport integer not null default coalesce(inet_server_port(), 5432),
    database text not null default current_database(),
    username text not null default current_user,
    active boolean not null default true,
    jobname text
);
create unique index jobname_username_uniq on cron.job (jobname, username);

create table cron.job_run_details (
    jobid bigint,
    runid bigserial primary key,
    job_pid integer,
    database text,
    username text,
    command text,
    status text,
    return_message text,
    start_time timestamptz,
    end_time timestamptz
);

create function cron.schedule(job_name text, schedule text, command text) returns bigint
language sql volatile
set search_path = ''
as $$
    insert into cron.job (jobname, schedule, command)
    values (job_name, schedule, command)
    on conflict (jobname, username) do update
        set schedule = excluded.schedule, command = excluded.command
    returning jobid
$$;

create function cron.schedule(schedule text, command text) returns bigint
language sql volatile
set search_path = ''
as $$
    insert into cron.job (schedule, command) values (schedule, command) returning jobid
$$;

create function cron.unschedule(job_id bigint) returns boolean
language sql volatile
set search_path = ''
as $$
    with gone as (delete from cron.job where jobid = job_id returning 1)
    select exists (select from gone)
$$;

create function cron.unschedule(job_name text) returns boolean
language sql volatile
set search_path = ''
as $$
    with gone as (
        delete from cron.job where jobname = job_name and username = current_user returning 1
    )
    select exists (select from gone)
$$;

grant usage on schema cron to postgres;
grant all on all tables in schema cron to postgres;
grant all on all sequences in schema cron to postgres;
grant execute on all functions in schema cron to postgres;
