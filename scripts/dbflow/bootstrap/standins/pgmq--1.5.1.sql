-- dbflow stand-in for pgmq (Supabase Queues): the same schema, types and functions, written
-- in SQL and PL/pgSQL. A queue is a table pgmq.q_<name> with an archive pgmq.a_<name>, as in
-- the real extension; reads hide a message for the visibility timeout, pops delete it.
-- Version 1.5.1: messages carry headers (jsonb), reads can be conditional (jsonb containment),
-- metrics count visible messages. Not reproduced: partitioned queues (pg_partman) and NOTIFY
-- on insert.

create table pgmq.meta (
    queue_name varchar unique not null,
    is_partitioned boolean not null default false,
    is_unlogged boolean not null default false,
    created_at timestamptz not null default now()
);

create type pgmq.message_record as (
    msg_id bigint,
    read_ct integer,
    enqueued_at timestamptz,
    vt timestamptz,
    message jsonb,
    headers jsonb
);

create type pgmq.queue_record as (
    queue_name varchar,
    is_partitioned boolean,
    is_unlogged boolean,
    created_at timestamptz
);

create type pgmq.metrics_result as (
    queue_name text,
    queue_length bigint,
    newest_msg_age_sec integer,
    oldest_msg_age_sec integer,
    total_messages bigint,
    scrape_time timestamptz,
    queue_visible_length bigint
);

-- dbflow: functions
-- The table of a queue (prefix q) or of its archive (prefix a); names are validated first.
create or replace function pgmq.format_table_name(queue_name text, prefix text) returns text
language plpgsql immutable as $$
begin
    if queue_name ~ '[$;'']|--' then
        raise exception 'queue name contains invalid characters: $, ;, -- or a quote';
    end if;
    return lower(prefix || '_' || queue_name);
end;
$$;

create or replace function pgmq.validate_queue_name(queue_name text) returns void
language plpgsql immutable as $$
begin
    if length(queue_name) >= 48 then
        raise exception 'queue name is too long, maximum length is 48 characters';
    end if;
end;
$$;

create or replace function pgmq._queue_exists(queue_name text) returns void
language plpgsql stable as $$
begin
    if not exists (select 1 from pgmq.meta m where m.queue_name = lower(_queue_exists.queue_name)) then
        raise exception 'queue "%" does not exist', queue_name using errcode = '42P01';
    end if;
end;
$$;

create or replace function pgmq.create_non_partitioned(queue_name text) returns void
language plpgsql as $$
declare
    qtable text := pgmq.format_table_name(queue_name, 'q');
    atable text := pgmq.format_table_name(queue_name, 'a');
begin
    perform pgmq.validate_queue_name(queue_name);
    execute format(
        'create table if not exists pgmq.%I (
            msg_id bigint primary key generated always as identity,
            read_ct integer default 0 not null,
            enqueued_at timestamptz default now() not null,
            vt timestamptz not null,
            message jsonb,
            headers jsonb)', qtable);
    execute format(
        'create table if not exists pgmq.%I (
            msg_id bigint primary key,
            read_ct integer default 0 not null,
            enqueued_at timestamptz default now() not null,
            archived_at timestamptz default now() not null,
            vt timestamptz not null,
            message jsonb,
            headers jsonb)', atable);
    execute format('create index if not exists %I on pgmq.%I (vt asc)', qtable || '_vt_idx', qtable);
    execute format(
        'create index if not exists %I on pgmq.%I (archived_at)', 'archived_at_idx_' || queue_name,
        atable);
    insert into pgmq.meta values (lower(queue_name)) on conflict do nothing;
end;
$$;

create or replace function pgmq."create"(queue_name text) returns void
language sql as $$ select pgmq.create_non_partitioned(queue_name) $$;

create or replace function pgmq.create_unlogged(queue_name text) returns void
language plpgsql as $$
begin
    perform pgmq.create_non_partitioned(queue_name);
    update pgmq.meta m set is_unlogged = true where m.queue_name = lower(create_unlogged.queue_name);
end;
$$;

create or replace function pgmq.send(
    queue_name text, msg jsonb, headers jsonb, delay timestamptz
) returns setof bigint
language plpgsql as $$
begin
    perform pgmq._queue_exists(queue_name);
    return query execute format(
        'insert into pgmq.%I (vt, message, headers) values ($1, $2, $3) returning msg_id',
        pgmq.format_table_name(queue_name, 'q'))
        using delay, msg, headers;
end;
$$;

create or replace function pgmq.send(queue_name text, msg jsonb) returns setof bigint
language sql as $$ select * from pgmq.send(queue_name, msg, null, clock_timestamp()) $$;

create or replace function pgmq.send(queue_name text, msg jsonb, headers jsonb)
returns setof bigint
language sql as $$ select * from pgmq.send(queue_name, msg, headers, clock_timestamp()) $$;

create or replace function pgmq.send(queue_name text, msg jsonb, delay integer)
returns setof bigint
language sql as $$
    select * from pgmq.send(queue_name, msg, null, clock_timestamp() + make_interval(secs => delay))
$$;

create or replace function pgmq.send(queue_name text, msg jsonb, delay timestamptz)
returns setof bigint
language sql as $$ select * from pgmq.send(queue_name, msg, null, delay) $$;

create or replace function pgmq.send(queue_name text, msg jsonb, headers jsonb, delay integer)
returns setof bigint
language sql as $$
    select * from pgmq.send(
        queue_name, msg, headers, clock_timestamp() + make_interval(secs => delay))
$$;

create or replace function pgmq.send_batch(
    queue_name text, msgs jsonb[], headers jsonb[], delay timestamptz
) returns setof bigint
language plpgsql as $$
begin
    perform pgmq._queue_exists(queue_name);
    if headers is not null and cardinality(headers) <> cardinality(msgs) then
        raise exception 'headers must have the same number of elements as msgs';
    end if;
    return query execute format(
        'insert into pgmq.%I (vt, message, headers)
         select $1, m, $3[n] from unnest($2) with ordinality as t(m, n)
         order by n returning msg_id', pgmq.format_table_name(queue_name, 'q'))
        using delay, msgs, headers;
end;
$$;

create or replace function pgmq.send_batch(queue_name text, msgs jsonb[]) returns setof bigint
language sql as $$ select * from pgmq.send_batch(queue_name, msgs, null, clock_timestamp()) $$;

create or replace function pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[])
returns setof bigint
language sql as $$ select * from pgmq.send_batch(queue_name, msgs, headers, clock_timestamp()) $$;

create or replace function pgmq.send_batch(queue_name text, msgs jsonb[], delay integer)
returns setof bigint
language sql as $$
    select * from pgmq.send_batch(
        queue_name, msgs, null, clock_timestamp() + make_interval(secs => delay))
$$;

create or replace function pgmq.send_batch(queue_name text, msgs jsonb[], delay timestamptz)
returns setof bigint
language sql as $$ select * from pgmq.send_batch(queue_name, msgs, null, delay) $$;

create or replace function pgmq.send_batch(
    queue_name text, msgs jsonb[], headers jsonb[], delay integer
) returns setof bigint
language sql as $$
    select * from pgmq.send_batch(
        queue_name, msgs, headers, clock_timestamp() + make_interval(secs => delay))
$$;

create or replace function pgmq.read(
    queue_name text, vt integer, qty integer, conditional jsonb default '{}'
) returns setof pgmq.message_record
language plpgsql as $$
begin
    perform pgmq._queue_exists(queue_name);
    return query execute format(
        'with due as (
            select msg_id from pgmq.%1$I where vt <= clock_timestamp()
                and ($3 = ''{}''::jsonb or message @> $3)
            order by msg_id limit $2 for update skip locked)
         update pgmq.%1$I q set vt = clock_timestamp() + make_interval(secs => $1),
             read_ct = q.read_ct + 1
         from due where q.msg_id = due.msg_id
         returning q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers',
        pgmq.format_table_name(queue_name, 'q'))
        using vt, qty, coalesce(conditional, '{}');
end;
$$;

create or replace function pgmq.read_with_poll(
    queue_name text, vt integer, qty integer, max_poll_seconds integer default 5,
    poll_interval_ms integer default 100, conditional jsonb default '{}'
) returns setof pgmq.message_record
language plpgsql as $$
declare
    deadline timestamptz := clock_timestamp() + make_interval(secs => max_poll_seconds);
    found integer;
begin
    loop
        return query select * from pgmq.read(queue_name, vt, qty, conditional);
        get diagnostics found = row_count;
        exit when found > 0 or clock_timestamp() >= deadline;
        perform pg_sleep(poll_interval_ms / 1000.0);
    end loop;
end;
$$;

create or replace function pgmq.pop(queue_name text) returns setof pgmq.message_record
language plpgsql as $$
begin
    perform pgmq._queue_exists(queue_name);
    return query execute format(
        'with first as (
            select msg_id from pgmq.%1$I where vt <= clock_timestamp()
            order by msg_id limit 1 for update skip locked)
         delete from pgmq.%1$I q using first where q.msg_id = first.msg_id
         returning q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers',
        pgmq.format_table_name(queue_name, 'q'));
end;
$$;

create or replace function pgmq.archive(queue_name text, msg_ids bigint[]) returns setof bigint
language plpgsql as $$
begin
    perform pgmq._queue_exists(queue_name);
    return query execute format(
        'with gone as (delete from pgmq.%I where msg_id = any($1) returning *)
         insert into pgmq.%I (msg_id, read_ct, enqueued_at, vt, message, headers)
         select msg_id, read_ct, enqueued_at, vt, message, headers from gone returning msg_id',
        pgmq.format_table_name(queue_name, 'q'), pgmq.format_table_name(queue_name, 'a'))
        using msg_ids;
end;
$$;

create or replace function pgmq.archive(queue_name text, msg_id bigint) returns boolean
language sql as $$ select exists (select 1 from pgmq.archive(queue_name, array[msg_id])) $$;

create or replace function pgmq.delete(queue_name text, msg_ids bigint[]) returns setof bigint
language plpgsql as $$
begin
    perform pgmq._queue_exists(queue_name);
    return query execute format(
        'delete from pgmq.%I where msg_id = any($1) returning msg_id',
        pgmq.format_table_name(queue_name, 'q'))
        using msg_ids;
end;
$$;

create or replace function pgmq.delete(queue_name text, msg_id bigint) returns boolean
language sql as $$ select exists (select 1 from pgmq.delete(queue_name, array[msg_id])) $$;

create or replace function pgmq.set_vt(queue_name text, msg_id bigint, vt integer)
returns setof pgmq.message_record
language plpgsql as $$
begin
    perform pgmq._queue_exists(queue_name);
    return query execute format(
        'update pgmq.%I set vt = clock_timestamp() + make_interval(secs => $2)
         where msg_id = $1 returning msg_id, read_ct, enqueued_at, vt, message, headers',
        pgmq.format_table_name(queue_name, 'q'))
        using msg_id, vt;
end;
$$;

create or replace function pgmq.purge_queue(queue_name text) returns bigint
language plpgsql as $$
declare
    purged bigint;
begin
    perform pgmq._queue_exists(queue_name);
    execute format('delete from pgmq.%I', pgmq.format_table_name(queue_name, 'q'));
    get diagnostics purged = row_count;
    return purged;
end;
$$;

create or replace function pgmq.metrics(queue_name text) returns pgmq.metrics_result
language plpgsql as $$
declare
    qtable text := pgmq.format_table_name(queue_name, 'q');
    result pgmq.metrics_result;
begin
    perform pgmq._queue_exists(queue_name);
    execute format(
        'select $1, count(*),
                extract(epoch from clock_timestamp() - max(enqueued_at))::integer,
                extract(epoch from clock_timestamp() - min(enqueued_at))::integer,
                coalesce(pg_sequence_last_value(pg_get_serial_sequence(%L, ''msg_id'')::regclass), 0),
                clock_timestamp(), count(*) filter (where vt <= clock_timestamp())
         from pgmq.%I', 'pgmq.' || qtable, qtable)
        into result
        using queue_name;
    return result;
end;
$$;

create or replace function pgmq.metrics_all() returns setof pgmq.metrics_result
language sql as $$
    select (pgmq.metrics(m.queue_name)).* from pgmq.meta m order by m.queue_name
$$;

create or replace function pgmq.list_queues() returns setof pgmq.queue_record
language sql stable as $$
    select queue_name, is_partitioned, is_unlogged, created_at from pgmq.meta order by queue_name
$$;

create or replace function pgmq.drop_queue(queue_name text) returns boolean
language plpgsql as $$
begin
    perform pgmq._queue_exists(queue_name);
    execute format('drop table if exists pgmq.%I', pgmq.format_table_name(queue_name, 'q'));
    execute format('drop table if exists pgmq.%I', pgmq.format_table_name(queue_name, 'a'));
    delete from pgmq.meta m where m.queue_name = lower(drop_queue.queue_name);
    return true;
end;
$$;

create or replace function pgmq._extension_exists(extension_name text) returns boolean
language sql as $$ select exists (select 1 from pg_extension where extname = extension_name) $$;
