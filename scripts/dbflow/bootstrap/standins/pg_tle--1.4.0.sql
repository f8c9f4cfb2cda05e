-- dbflow stand-in for pg_tle (Trusted Language Extensions). pgtle.install_extension and its
-- companions register an extension written in SQL or a trusted language; CREATE EXTENSION
-- then installs it, as with the real pg_tle. The real one keeps the extension in the
-- database; this stand-in writes its control and script files into the local engine's
-- extension folder (dbflow's own copy in .dbflow/), so they are seen by every database of the
-- local cluster. Features (pgtle.register_feature: passcheck, clientauth) are recorded only.

create table pgtle.extension (
    name text not null,
    version text not null,
    description text,
    requires text[],
    script text not null,
    is_default boolean not null default false,
    primary key (name, version)
);

create table pgtle.update_path (
    name text not null,
    from_version text not null,
    to_version text not null,
    script text not null,
    primary key (name, from_version, to_version)
);

create table pgtle.feature_info (
    feature text not null,
    schema_name text not null,
    proname text not null,
    obj_identity text not null primary key
);

create function pgtle._check_name(value text, what text) returns void
language plpgsql immutable as $$
begin
    if value !~ '^[A-Za-z0-9_.]+$' or value like '%..%' then
        raise exception 'invalid % "%"', what, value;
    end if;
end;
$$;

-- Write ``content`` as a file of the engine's extension folder.
create function pgtle._write(file text, content text) returns void
language plpgsql security definer
set search_path = pg_catalog as $$
declare
    folder text := (select setting from pg_config where name = 'SHAREDIR') || '/extension/';
begin
    execute format(
        'copy (select nullif(line, %L) from unnest(string_to_array(%L, E''\n'')) with ordinality '
        't(line, n) order by n) to %L with (format csv, delimiter E''\x01'', quote E''\x02'')',
        '', replace(content, E'\r', ''), folder || file);
end;
$$;

-- Whether the extension's control file was written by this stand-in (in this database or in
-- another of the cluster): such an extension may be installed again.
create function pgtle._written_here(extname text) returns boolean
language plpgsql security definer
set search_path = pg_catalog as $$
begin
    return pg_read_file((select setting from pg_config where name = 'SHAREDIR')
                        || '/extension/' || extname || '.control')
        like '# written by the pg_tle stand-in of dbflow%';
exception when undefined_file then
    return false;
end;
$$;

create function pgtle._write_control(extname text) returns void
language plpgsql security definer
set search_path = pgtle, pg_catalog as $$
declare
    chosen record;
begin
    select * into chosen from pgtle.extension e where e.name = extname
    order by e.is_default desc, string_to_array(e.version, '.')::text[] desc limit 1;
    perform pgtle._write(extname || '.control', concat_ws(E'\n',
        '# written by the pg_tle stand-in of dbflow',
        'comment = ' || quote_literal(coalesce(chosen.description, '')),
        'default_version = ' || quote_literal(chosen.version),
        'relocatable = false',
        'trusted = false',
        case when chosen.requires is not null and cardinality(chosen.requires) > 0
             then 'requires = ' || quote_literal(array_to_string(chosen.requires, ', ')) end,
        ''));
end;
$$;

create function pgtle.install_extension(
    name text, version text, description text, ext text, requires text[] default null
) returns boolean
language plpgsql security definer
set search_path = pgtle, pg_catalog as $$
begin
    perform pgtle._check_name(name, 'extension name');
    perform pgtle._check_name(version, 'version');
    if exists (select 1 from pgtle.extension e where e.name = install_extension.name) then
        raise exception 'extension "%" already installed', name using errcode = '42710';
    end if;
    if exists (select 1 from pg_available_extensions a where a.name = install_extension.name)
       and not pgtle._written_here(name) then
        raise exception 'extension "%" is already available on this server', name
            using errcode = '42710';
    end if;
    insert into pgtle.extension values (name, version, description, requires, ext, true);
    perform pgtle._write(name || '--' || version || '.sql', ext);
    perform pgtle._write_control(name);
    return true;
end;
$$;

create function pgtle.install_extension_version_sql(name text, version text, ext text)
returns boolean
language plpgsql security definer
set search_path = pgtle, pg_catalog as $$
declare
    base record;
begin
    perform pgtle._check_name(version, 'version');
    select * into base from pgtle.extension e where e.name = install_extension_version_sql.name
    limit 1;
    if not found then
        raise exception 'extension "%" is not installed by pg_tle', name;
    end if;
    insert into pgtle.extension values (name, version, base.description, base.requires, ext, false);
    perform pgtle._write(name || '--' || version || '.sql', ext);
    return true;
end;
$$;

create function pgtle.install_update_path(name text, fromvers text, tovers text, ext text)
returns boolean
language plpgsql security definer
set search_path = pgtle, pg_catalog as $$
begin
    perform pgtle._check_name(fromvers, 'version');
    perform pgtle._check_name(tovers, 'version');
    insert into pgtle.update_path values (name, fromvers, tovers, ext);
    perform pgtle._write(name || '--' || fromvers || '--' || tovers || '.sql', ext);
    return true;
end;
$$;

create function pgtle.set_default_version(name text, version text) returns boolean
language plpgsql security definer
set search_path = pgtle, pg_catalog as $$
begin
    update pgtle.extension e set is_default = (e.version = set_default_version.version)
    where e.name = set_default_version.name;
    if not found then
        raise exception 'extension "%" is not installed by pg_tle', name;
    end if;
    perform pgtle._write_control(name);
    return true;
end;
$$;

create function pgtle.uninstall_extension(extname text) returns boolean
language plpgsql security definer
set search_path = pgtle, pg_catalog as $$
begin
    if exists (select 1 from pg_extension where pg_extension.extname = uninstall_extension.extname) then
        raise exception 'extension "%" is installed in this database: drop it first', extname;
    end if;
    delete from pgtle.extension where name = extname;
    if not found then
        raise exception 'extension "%" is not installed by pg_tle', extname;
    end if;
    delete from pgtle.update_path where name = extname;
    -- the files stay, but point at a version that has no script: CREATE EXTENSION fails
    perform pgtle._write(extname || '.control', concat_ws(E'\n',
        '# written by the pg_tle stand-in of dbflow', 'comment = ''uninstalled by pg_tle''',
        'default_version = ''uninstalled''', ''));
    return true;
end;
$$;

create function pgtle.available_extensions(
    out name text, out default_version text, out comment text
) returns setof record
language sql stable
set search_path = pgtle, pg_catalog as $$
    select distinct on (e.name) e.name, e.version, e.description from pgtle.extension e
    order by e.name, e.is_default desc, e.version desc
$$;

create function pgtle.available_extension_versions(
    out name text, out version text, out superuser boolean, out trusted boolean,
    out relocatable boolean, out schema text, out requires name[], out comment text
) returns setof record
language sql stable
set search_path = pgtle, pg_catalog as $$
    select e.name, e.version, false, true, false, null::text, e.requires::name[], e.description
    from pgtle.extension e order by e.name, e.version
$$;

create function pgtle.extension_update_paths(
    name text, out source text, out target text, out path text
) returns setof record
language sql stable
set search_path = pgtle, pg_catalog as $$
    select u.from_version, u.to_version, u.from_version || '--' || u.to_version
    from pgtle.update_path u where u.name = extension_update_paths.name
$$;

create type pgtle.pg_tle_features as enum ('passcheck', 'clientauth');

create function pgtle.register_feature(proc regproc, feature pgtle.pg_tle_features)
returns void
language sql
set search_path = pgtle, pg_catalog as $$
    insert into pgtle.feature_info
    select feature::text, n.nspname, p.proname, proc::text
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace where p.oid = proc
    on conflict do nothing
$$;

create function pgtle.unregister_feature(proc regproc, feature pgtle.pg_tle_features)
returns void
language sql
set search_path = pgtle, pg_catalog as $$
    delete from pgtle.feature_info f where f.obj_identity = proc::text and f.feature = feature::text
$$;

create function pgtle.register_feature_if_not_exists(proc regproc, feature pgtle.pg_tle_features)
returns boolean
language sql
set search_path = pgtle, pg_catalog as $$
    select pgtle.register_feature(proc, feature) is null
$$;

do $grants$
begin
    revoke execute on all functions in schema pgtle from public;
    if exists (select 1 from pg_roles where rolname = 'postgres') then
        grant usage on schema pgtle to postgres;
        grant execute on all functions in schema pgtle to postgres;
        grant select on all tables in schema pgtle to postgres;
    end if;
end
$grants$;
