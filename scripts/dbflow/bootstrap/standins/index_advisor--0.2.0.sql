-- dbflow stand-in for index_advisor: the same function. It reports the query's estimated
-- costs from EXPLAIN, and recommends no index, because the hypopg stand-in cannot make the
-- planner see hypothetical indexes. Every answer says so in its errors.

create function index_advisor(query text)
returns table (
    startup_cost_before jsonb,
    startup_cost_after jsonb,
    total_cost_before jsonb,
    total_cost_after jsonb,
    index_statements text[],
    errors text[]
)
language plpgsql volatile
set search_path = @extschema@, pg_catalog as $$
declare
    plan jsonb;
    note text := 'index_advisor stand-in: hypothetical indexes are not simulated locally, so no '
        || 'index is recommended';
begin
    begin
        execute 'explain (format json) ' || query into plan;
    exception when others then
        return query select null::jsonb, null::jsonb, null::jsonb, null::jsonb, '{}'::text[],
            array[sqlerrm, note];
        return;
    end;
    return query select plan -> 0 -> 'Plan' -> 'Startup Cost', plan -> 0 -> 'Plan' -> 'Startup Cost',
        plan -> 0 -> 'Plan' -> 'Total Cost', plan -> 0 -> 'Plan' -> 'Total Cost', '{}'::text[],
        array[note];
end;
$$;
