-- Delta updates (issue 18): when an update is published the server makes, from each version devices still run (and
-- the last few published), a delta to it (update/UpdateDeltas): the files that changed, as wholes or zstd patches,
-- and the new update_metadata.json. The offer names the delta for the device's version; the device reports what it
-- downloaded, and the update and its rollout show the totals.

-- updates.manifest_sha256: SHA-256 (hex) of the package's update_metadata.json bytes, computed at publish; what a
-- delta's base_manifest_sha256 is compared with. Null for an update published before deltas: no delta is made from
-- it until it is computed (from its stored package, when it is chosen as a base).
alter table updates add column manifest_sha256 text;

-- One delta of an update (its target) from one base version. The file is in the package store under storage_key;
-- rows and files go with their update. A delta that did not come out clearly smaller than the package, or that
-- failed, has no row: the devices on that base download the whole package.
create table update_deltas (
    update_id              uuid        not null references updates (id) on delete cascade,
    base_version           text        not null,
    base_manifest_sha256   text        not null,
    target_manifest_sha256 text        not null,
    storage_key            text        not null,
    sha256                 text        not null,
    size_bytes             bigint      not null,
    whole_files            integer     not null,
    patched_files          integer     not null,
    copied_files           integer     not null,
    removed_files          integer     not null,
    created_at             timestamptz not null default now(),
    primary key (update_id, base_version),
    constraint update_deltas_sha256_check check (sha256 ~ '^[0-9a-f]{64}$'),
    constraint update_deltas_size_check check (size_bytes > 0)
);

alter table update_deltas enable row level security;

-- The offers are cached on every instance, each with its deltas (update/UpdateChecks), and forgotten on the update's
-- event (V13): a delta made, or deleted by hand, announces its update as a change of the update's row does.
create function ota_update_delta_event() returns trigger
    language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        perform pg_notify('ota_events', 'update:' || old.update_id);
    else
        perform pg_notify('ota_events', 'update:' || new.update_id);
    end if;
    return null;
end $$;

create trigger update_deltas_event after insert or update or delete on update_deltas
    for each row execute function ota_update_delta_event();

-- What an install downloaded, as the device's report says it (null: an agent before deltas, or not said yet), and
-- how: 'delta' or 'full'. The update's and the rollout's delivery totals add up the completed ones.
alter table device_updates add column downloaded_bytes bigint;
alter table device_updates add column delivery text;
alter table device_updates add constraint device_updates_delivery_check check (delivery in ('delta', 'full'));
alter table device_updates add constraint device_updates_downloaded_check check (downloaded_bytes >= 0);

-- The totals read only the rows that say what they downloaded: a small index while few agents send it, and none of
-- the writes of an agent before deltas touches it.
create index device_updates_delivered on device_updates (update_id, rollout_id)
    include (downloaded_bytes, delivery) where downloaded_bytes is not null and status = 'completed';
