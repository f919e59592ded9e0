-- The fleet overview (dashboard/OverviewPage) reads counts that are kept, not counted: at a million devices a
-- count(*) ... group by per view is a scan of the whole table. And its "devices with issues" come from indexes, a few
-- rows each.

-- Devices per (status, version): fleet_counts holds the sums, fleet_count_changes the changes not yet added to them.
-- A writer of devices only inserts a change (+1 for the row as it is now, -1 for the row as it was): inserts take no
-- row lock, so no two writers wait for each other, and none can deadlock on a counts row (a single counts row, or
-- one per (status, version), updated by every writer would serialise a rollout's reports and the heartbeat flushes).
-- The reader sums both tables; one instance at a time (an advisory lock, FleetCounts.fold) moves the changes into
-- the sums every few seconds, so that fleet_count_changes stays a few rows long. version '' is "none reported".
create table fleet_counts (
    status          text   not null,
    current_version text   not null,
    devices         bigint not null,
    primary key (status, current_version)
);

create table fleet_count_changes (
    status          text    not null,
    current_version text    not null,
    delta           integer not null
);

insert into fleet_counts (status, current_version, devices)
select status, coalesce(current_version, ''), count(*) from devices group by 1, 2;

-- An update: a row trigger whose WHEN is checked without calling the function, so that a heartbeat that moves
-- only last_seen (nearly all of them) writes nothing here.
create function fleet_counts_updated() returns trigger
    language plpgsql as $$
begin
    insert into fleet_count_changes (status, current_version, delta)
    values (old.status, coalesce(old.current_version, ''), -1), (new.status, coalesce(new.current_version, ''), 1);
    return null;
end $$;

create trigger devices_counted_update after update of status, current_version on devices
    for each row
    when (old.status is distinct from new.status or old.current_version is distinct from new.current_version)
    execute function fleet_counts_updated();

-- Inserts and deletes: one change per (status, version) and statement, so that a bulk load is a few rows.
-- changed_rows: the rows inserted, or deleted (counted negative).
create function fleet_counts_added() returns trigger
    language plpgsql as $$
begin
    insert into fleet_count_changes (status, current_version, delta)
    select status, coalesce(current_version, ''), case when tg_op = 'DELETE' then -count(*) else count(*) end
    from changed_rows group by 1, 2;
    return null;
end $$;

create trigger devices_counted_insert after insert on devices
    referencing new table as changed_rows for each statement execute function fleet_counts_added();
create trigger devices_counted_delete after delete on devices
    referencing old table as changed_rows for each statement execute function fleet_counts_added();

create function fleet_counts_truncated() returns trigger
    language plpgsql as $$
begin
    delete from fleet_count_changes;
    delete from fleet_counts;
    return null;
end $$;

create trigger devices_counted_truncate after truncate on devices
    for each statement execute function fleet_counts_truncated();

-- When a device went offline, and when it entered the install step it reports, as the device's last_seen at that
-- moment (the time of the message that said so, on the server's clock). Set by a BEFORE trigger only when status or
-- update_step changes: a heartbeat that changes neither stays a HOT update (V3), since last_seen itself is in no
-- index. offline_since: while offline, the device's last heartbeat. step_since: while a step is reported.
alter table devices add column offline_since timestamptz;
alter table devices add column step_since timestamptz;

update devices set offline_since = last_seen where status = 'offline';
update devices set step_since = last_seen where update_step is not null;

create function devices_mark_since() returns trigger
    language plpgsql as $$
begin
    if tg_op = 'INSERT' or old.status is distinct from new.status then
        new.offline_since := case when new.status = 'offline' then coalesce(new.last_seen, now()) end;
    end if;
    if tg_op = 'INSERT' or old.update_step is distinct from new.update_step then
        new.step_since := case when new.update_step is not null then coalesce(new.last_seen, now()) end;
    end if;
    return new;
end $$;

create trigger devices_mark_since_insert before insert on devices
    for each row execute function devices_mark_since();
create trigger devices_mark_since_update before update on devices
    for each row
    when (old.status is distinct from new.status or old.update_step is distinct from new.update_step)
    execute function devices_mark_since();

-- Devices with issues, each a bounded read of an index: offline the longest, in a step the longest, failed latest.
create index devices_offline_since on devices (offline_since) where status = 'offline';
create index devices_step_since on devices (step_since) where status = 'updating';
create index device_updates_failed on device_updates (updated_at desc) where status = 'failed';

alter table fleet_counts enable row level security;
alter table fleet_count_changes enable row level security;
