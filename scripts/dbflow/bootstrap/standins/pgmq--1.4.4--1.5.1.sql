-- dbflow stand-in for pgmq, from 1.4.4 to 1.5.1: headers on messages and queue tables,
-- conditional reads, the visible length in metrics.
alter type pgmq.message_record add attribute headers jsonb;
alter type pgmq.metrics_result add attribute queue_visible_length bigint;

do $$
declare
    queue record;
begin
    for queue in select queue_name from pgmq.meta loop
        execute format('alter table pgmq.%I add column if not exists headers jsonb',
            pgmq.format_table_name(queue.queue_name, 'q'));
        execute format('alter table pgmq.%I add column if not exists headers jsonb',
            pgmq.format_table_name(queue.queue_name, 'a'));
    end loop;
end
$$;

drop function pgmq.send(text, jsonb, integer);
drop function pgmq.send_batch(text, jsonb[], integer);
drop function pgmq.read(text, integer, integer);
drop function pgmq.read_with_poll(text, integer, integer, integer, integer);

-- dbflow: functions of 1.5.1
