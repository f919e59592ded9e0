-- The operator's dashboard (server/dashboard): its sign-in sessions, and the fleet's changes announced to every
-- server instance (events/FleetEvents), which feed the dashboard's live pages and the devices' push channel.

-- Dashboard sessions, kept by Spring Session JDBC (spring.session.jdbc.table-name=dashboard_sessions), so that any
-- instance behind a load balancer serves a signed-in operator and a sign-out ends the session everywhere. The
-- columns are Spring Session's schema for PostgreSQL, unchanged.
create table dashboard_sessions (
    primary_id            char(36)     not null,
    session_id            char(36)     not null,
    creation_time         bigint       not null,
    last_access_time      bigint       not null,
    max_inactive_interval int          not null,
    expiry_time           bigint       not null,
    principal_name        varchar(100),
    constraint dashboard_sessions_pk primary key (primary_id)
);
create unique index dashboard_sessions_ix1 on dashboard_sessions (session_id);
create index dashboard_sessions_ix2 on dashboard_sessions (expiry_time);
create index dashboard_sessions_ix3 on dashboard_sessions (principal_name);

create table dashboard_sessions_attributes (
    session_primary_id char(36)     not null,
    attribute_name     varchar(200) not null,
    attribute_bytes    bytea        not null,
    constraint dashboard_sessions_attributes_pk primary key (session_primary_id, attribute_name),
    constraint dashboard_sessions_attributes_fk foreign key (session_primary_id)
        references dashboard_sessions (primary_id) on delete cascade
);

alter table dashboard_sessions enable row level security;
alter table dashboard_sessions_attributes enable row level security;

-- The fleet's changes, as notifications on the channel ota_events: 'kind' or 'kind:id' (events/FleetEvent). They
-- say what changed, never how; a notification is delivered once its transaction commits, and identical ones in one
-- transaction are delivered once.

-- devices: a row trigger whose WHEN is checked without calling the function, so that the heartbeats' batched
-- last_seen writes cost nothing; only a change an operator sees reaches it.
create function ota_device_event() returns trigger
    language plpgsql as $$
begin
    perform pg_notify('ota_events', 'device:' || new.device_uuid);
    return null;
end $$;

create trigger devices_registered_event after insert on devices
    for each row execute function ota_device_event();
create trigger devices_changed_event after update on devices
    for each row
    when (old.status is distinct from new.status
        or old.current_version is distinct from new.current_version
        or old.device_name is distinct from new.device_name
        or old.timezone is distinct from new.timezone
        or old.update_step is distinct from new.update_step
        or old.update_progress is distinct from new.update_progress
        or old.window_start_hour is distinct from new.window_start_hour
        or old.window_length_minutes is distinct from new.window_length_minutes
        or old.device_update_hour is distinct from new.device_update_hour
        or old.public_key is distinct from new.public_key
        or old.metadata is distinct from new.metadata)
    execute function ota_device_event();

-- device_updates: one statement-level trigger per kind of write (as V10's). A few devices are named each; a write
-- that touches many (a phase of 100,000 offered at once) says 'fleet' instead of sending one notification per device.
create function ota_device_updates_event() returns trigger
    language plpgsql as $$
declare
    devices_touched bigint;
begin
    -- changed_rows: the inserted or deleted rows, or an update's new ones (an update never moves a row to another
    -- device or rollout, so its new rows name the same ones as its old)
    select count(distinct device_id) into devices_touched from changed_rows;
    if devices_touched > 50 then
        perform pg_notify('ota_events', 'fleet');
    else
        perform pg_notify('ota_events', 'device:' || d.device_uuid)
        from devices d where d.id in (select device_id from changed_rows);
    end if;
    perform pg_notify('ota_events', 'rollout:' || r.rollout_id)
    from (select distinct rollout_id from changed_rows where rollout_id is not null) r;
    return null;
end $$;

create trigger device_updates_inserted_event after insert on device_updates
    referencing new table as changed_rows for each statement execute function ota_device_updates_event();
create trigger device_updates_updated_event after update on device_updates
    referencing new table as changed_rows for each statement execute function ota_device_updates_event();
create trigger device_updates_deleted_event after delete on device_updates
    referencing old table as changed_rows for each statement execute function ota_device_updates_event();

create function ota_row_event() returns trigger
    language plpgsql as $$
begin
    -- tg_argv[0]: the kind; the row's id names which
    if tg_op = 'DELETE' then
        perform pg_notify('ota_events', tg_argv[0] || ':' || old.id);
    else
        perform pg_notify('ota_events', tg_argv[0] || ':' || new.id);
    end if;
    return null;
end $$;

create trigger rollouts_event after insert or update on rollouts
    for each row execute function ota_row_event('rollout');
create trigger updates_event after insert or update on updates
    for each row execute function ota_row_event('update');
create trigger webhooks_event after insert or update or delete on webhooks
    for each row execute function ota_row_event('webhook');

create function ota_kind_event() returns trigger
    language plpgsql as $$
begin
    perform pg_notify('ota_events', tg_argv[0]);
    return null;
end $$;

create trigger audit_log_event after insert on audit_log
    for each statement execute function ota_kind_event('audit');
create trigger webhook_deliveries_event after insert or update on webhook_deliveries
    for each statement execute function ota_kind_event('webhook');
