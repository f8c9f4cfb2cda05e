-- dbflow stand-in for pg_graphql. Same entry point; it answers every query with an error
-- because there is no GraphQL engine on dbflow's local PostgreSQL.
create function graphql.resolve(
    query text,
    variables jsonb default '{}'::jsonb,
    "operationName" text default null,
    extensions jsonb default null
) returns jsonb
language sql stable
set search_path = ''
as $$
    select jsonb_build_object(
        'errors',
        jsonb_build_array(jsonb_build_object(
            'message', 'pg_graphql is not available on dbflow''s local engine (stand-in)'
        ))
    )
$$;

grant usage on schema graphql to postgres, anon, authenticated, service_role;
grant execute on function graphql.resolve(text, jsonb, text, jsonb)
    to postgres, anon, authenticated, service_role;
