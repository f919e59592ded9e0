-- The reconciler judges every running rollout every few seconds by the counts of its open phase. Counting them
-- again at each tick read every member of every open phase (about 1 s for 100,000 devices, every five seconds,
-- beside the fleet's check-ins). Now a tick counts again only a rollout whose members changed since it last counted
-- them, or whose counts turn with the clock (an install that times out, a device silent a day after its window);
-- the others are judged on the counts kept here.

-- What changed since the last tick: one row per write that touches a rollout's members, appended by the triggers
-- below in the writer's own transaction. No key and no foreign key, so that an append never waits for another
-- writer (a hundred devices reporting at once append a hundred rows, none locks another's); the tick deletes every
-- row it reads. A row committed after the tick read the table stays for the next tick.
create table rollout_changes (
    rollout_id uuid not null
);

-- The counts of each running rollout's open phase, as the tick last made them (update/PhaseTally). Valid while the
-- phase and judged_since are the rollout's, no change is queued for it, and the clock has not reached turns_at.
create table rollout_tallies (
    rollout_id        uuid        primary key references rollouts (id) on delete cascade,
    phase             integer     not null,
    judged_since      timestamptz,
    counted_at        timestamptz not null,
    -- the earliest moment at which a count changes by the clock alone; null: none does
    turns_at          timestamptz,
    queued            bigint      not null,
    not_needed        bigint      not null,
    pending           bigint      not null,
    downloading       bigint      not null,
    installing        bigint      not null,
    completed         bigint      not null,
    failed            bigint      not null,
    superseded        bigint      not null,
    silent            bigint      not null,
    offline_unstarted bigint      not null,
    failed_since      bigint      not null,
    completed_since   bigint      not null,
    windows_end       timestamptz
);

-- A device's status or window counts in every running rollout it is a member of; and its check looks for the open
-- phases that hold it without having offered it the update yet (their batch has not come: update/Assignments).
create index rollout_devices_device on rollout_devices (device_id, offered);

-- device_updates and rollout_devices: one statement-level trigger per kind of write, so that offering a phase of
-- 100,000 devices appends one row per rollout, not 100,000.
create function rollout_members_changed() returns trigger
    language plpgsql as $$
begin
    if tg_op in ('INSERT', 'UPDATE') then
        insert into rollout_changes (rollout_id)
        select distinct rollout_id from new_rows where rollout_id is not null;
    end if;
    if tg_op in ('UPDATE', 'DELETE') then
        insert into rollout_changes (rollout_id)
        select distinct rollout_id from old_rows where rollout_id is not null;
    end if;
    return null;
end $$;

create trigger device_updates_inserted_for_rollouts after insert on device_updates
    referencing new table as new_rows for each statement execute function rollout_members_changed();
create trigger device_updates_updated_for_rollouts after update on device_updates
    referencing old table as old_rows new table as new_rows for each statement
    execute function rollout_members_changed();
create trigger device_updates_deleted_for_rollouts after delete on device_updates
    referencing old table as old_rows for each statement execute function rollout_members_changed();

create trigger rollout_devices_inserted_for_rollouts after insert on rollout_devices
    referencing new table as new_rows for each statement execute function rollout_members_changed();
create trigger rollout_devices_updated_for_rollouts after update on rollout_devices
    referencing old table as old_rows new table as new_rows for each statement
    execute function rollout_members_changed();
create trigger rollout_devices_deleted_for_rollouts after delete on rollout_devices
    referencing old table as old_rows for each statement execute function rollout_members_changed();

-- devices: a row trigger whose WHEN is checked without calling the function, so that the heartbeats' batched
-- last_seen writes (which change neither) cost nothing; only a status or window that changes reaches it.
create function rollout_device_changed() returns trigger
    language plpgsql as $$
begin
    insert into rollout_changes (rollout_id)
    select rd.rollout_id from rollout_devices rd join rollouts r on r.id = rd.rollout_id
    where rd.device_id = new.id and r.state = 'running';
    return null;
end $$;

create trigger devices_changed_for_rollouts after update of status, window_length_minutes on devices
    for each row
    when (old.status is distinct from new.status or old.window_length_minutes is distinct from new.window_length_minutes)
    execute function rollout_device_changed();

alter table rollout_changes enable row level security;
alter table rollout_tallies enable row level security;
