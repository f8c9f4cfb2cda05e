-- dbflow stand-in for hypopg: the same functions and view. A hypothetical index is recorded
-- for the session that created it, listed, described and dropped as with the real extension,
-- but the planner does not see it: EXPLAIN plans are unchanged locally.

create table hypopg_standin_index (
    indexrelid oid primary key,
    indexname text not null,
    indrelid oid not null,
    amname text not null,
    definition text not null,
    backend integer not null default pg_backend_pid(),
    hidden boolean not null default false
);
create sequence hypopg_standin_oid start 4000000000 minvalue 4000000000 maxvalue 4294967295;

create function hypopg_create_index(sql_order text, out indexrelid oid, out indexname text)
returns setof record
language plpgsql
set search_path = @extschema@, pg_catalog as $$
declare
    parts text[] := regexp_match(sql_order,
        '^\s*create\s+(?:unique\s+)?index\s+(?:concurrently\s+)?(?:if\s+not\s+exists\s+)?(?:("[^"]+"|\w+)\s+)?on\s+(?:only\s+)?("?[\w.]+"?(?:\."?\w+"?)?)\s*(?:using\s+(\w+))?\s*\((.+)\)',
        'i');
    target regclass;
begin
    if parts is null then
        raise exception 'hypopg: SQL order #1 is not a CREATE INDEX statement';
    end if;
    target := to_regclass(parts[2]);
    if target is null then
        raise exception 'relation "%" does not exist', parts[2];
    end if;
    indexrelid := nextval('hypopg_standin_oid');
    indexname := '<' || indexrelid || '>' || coalesce(parts[3], 'btree') || '_'
        || regexp_replace((select relname from pg_class where oid = target), '\W', '', 'g');
    insert into hypopg_standin_index (indexrelid, indexname, indrelid, amname, definition)
    values (indexrelid, indexname, target, coalesce(lower(parts[3]), 'btree'), sql_order);
    return next;
end;
$$;

create function hypopg() returns table (indexname text, indexrelid oid, indrelid oid)
language sql stable
set search_path = @extschema@, pg_catalog as $$
    select indexname, indexrelid, indrelid from hypopg_standin_index
    where backend = pg_backend_pid() order by indexrelid
$$;

create view hypopg_list_indexes as
    select h.indexrelid, h.indexname as index_name, n.nspname as schema_name,
           c.relname as table_name, h.amname as am_name
    from hypopg_standin_index h
    join pg_catalog.pg_class c on c.oid = h.indrelid
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where h.backend = pg_catalog.pg_backend_pid();

create function hypopg_get_indexdef(indexid oid) returns text
language sql stable
set search_path = @extschema@, pg_catalog as $$
    select definition from hypopg_standin_index where indexrelid = indexid
$$;

create function hypopg_relation_size(indexid oid) returns bigint
language sql stable
set search_path = @extschema@, pg_catalog as $$
    select pg_relation_size(indrelid) / 4 from hypopg_standin_index where indexrelid = indexid
$$;

create function hypopg_drop_index(indexid oid) returns boolean
language plpgsql
set search_path = @extschema@, pg_catalog as $$
begin
    delete from hypopg_standin_index where indexrelid = indexid and backend = pg_backend_pid();
    return found;
end;
$$;

create function hypopg_reset_index() returns void
language sql
set search_path = @extschema@, pg_catalog as $$
    delete from hypopg_standin_index where backend = pg_backend_pid()
$$;

create function hypopg_reset() returns void
language sql
set search_path = @extschema@, pg_catalog as $$ select hypopg_reset_index() $$;

create function hypopg_hide_index(indexid oid) returns boolean
language sql
set search_path = @extschema@, pg_catalog as $$ select false $$;

create function hypopg_unhide_index(indexid oid) returns boolean
language sql
set search_path = @extschema@, pg_catalog as $$ select false $$;

create function hypopg_hidden_indexes() returns table (indexid oid)
language sql
set search_path = @extschema@, pg_catalog as $$ select null::oid where false $$;
