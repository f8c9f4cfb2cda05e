-- dbflow stand-in for Supabase Wrappers: the handler, validator and meta function of each
-- wrapper, so that CREATE FOREIGN DATA WRAPPER ... HANDLER stripe_fdw_handler VALIDATOR
-- stripe_fdw_validator, CREATE SERVER and CREATE FOREIGN TABLE apply as on the platform.
-- The handlers are postgres_fdw's: a query on such a foreign table fails locally (there is no
-- remote service to reach). Options are accepted as given, not checked.

do $standin$
declare
    wrapper text;
begin
    foreach wrapper in array array[
        'airtable', 'auth0', 'big_query', 'bigquery', 'click_house', 'clickhouse', 'cognito',
        'duckdb', 'firebase', 'helloworld', 'iceberg', 'logflare', 'mssql', 'redis', 's3',
        'snowflake', 'stripe', 'wasm'
    ] loop
        execute format(
            'create function %I() returns fdw_handler language c strict '
            'as %L, %L', wrapper || '_fdw_handler', '$libdir/postgres_fdw',
            'postgres_fdw_handler');
        execute format(
            'create function %I(options text[], catalog oid) returns void language plpgsql '
            'as $$ begin return; end $$', wrapper || '_fdw_validator');
        execute format(
            'create function %I() returns table (name text, version text, author text, '
            'website text) language sql as $$ select %L::text, %L::text, %L::text, %L::text $$',
            wrapper || '_fdw_meta', wrapper || ' (dbflow stand-in)', '0.5.0', 'dbflow',
            'https://supabase.github.io/wrappers/');
    end loop;
end
$standin$;
