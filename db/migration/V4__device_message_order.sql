-- Which device message the record holds is the newest, so that a message made earlier but received (or flushed)
-- later changes nothing it should not. order_run_id / order_seq: the agent run and the sequence number of the newest
-- message written that carried them (heartbeats and status reports of agents that send seq). reported_at: when
-- the server received the last status report it applied; a heartbeat without seq (an older agent) received before
-- that moment is older than the report and loses to it.
alter table devices add column order_run_id text;
alter table devices add column order_seq bigint;
alter table devices add column reported_at timestamptz;

-- Whether a heartbeat is older than what a device row already holds: by seq within one agent run, otherwise by
-- the time of receipt, against the last heartbeat (last_seen) and the last status report (reported_at) written.
-- A function of the row's own columns, so that the heartbeat UPDATE evaluates it against the row version it
-- writes, also when it waited for another writer's lock.
create function ota_heartbeat_is_stale(row_run_id text, row_seq bigint, row_last_seen timestamptz,
                                       row_reported_at timestamptz, run_id text, seq bigint,
                                       received_at timestamptz) returns boolean
    language sql immutable parallel safe
    as $$
        select coalesce(case
            when seq is not null and run_id = row_run_id then seq < row_seq
            else received_at < row_last_seen or received_at < row_reported_at
        end, false)
    $$;
