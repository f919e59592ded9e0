-- Javia OTA schema. The seed's three tables keep the seed's names and columns, so that operators can query
-- them with the seed's SQL; what the design adds is listed after the seed's columns in each table.
-- Append only: every later change is a new V<n>__*.sql.

create table devices (
    id               uuid        primary key,
    device_uuid      text        not null unique,
    device_name      text,
    registered_at    timestamptz not null default now(),
    last_seen        timestamptz,
    current_version  text,
    timezone         text        not null,
    status           text        not null default 'online',
    metadata         jsonb       not null default '{}'::jsonb,
    -- SHA-256 (hex) of the device token handed out at registration; the token itself is never stored.
    token_hash       text,
    token_issued_at  timestamptz,
    constraint devices_status_check check (status in ('online', 'offline', 'updating'))
);

-- The offline sweep looks only at devices not yet offline, oldest heartbeat first.
create index devices_last_seen_not_offline on devices (last_seen) where status <> 'offline';
create index devices_status on devices (status);
create index devices_current_version on devices (current_version);
create index devices_timezone on devices (timezone);
-- A device token is looked up by its hash (a 256-bit random secret: the lookup reveals nothing useful).
create unique index devices_token_hash on devices (token_hash);

create table updates (
    id                        uuid        primary key,
    version                   text        not null unique,
    created_at                timestamptz not null default now(),
    update_type               text        not null,
    description               text        not null default '',
    package_url               text        not null,
    requires_system_packages  boolean     not null default false,
    system_packages           jsonb       not null default '[]'::jsonb,
    sha256                    text        not null,
    size_bytes                bigint      not null,
    -- Ed25519 signature of the package (base64) when the fleet has a signing key.
    signature                 text,
    -- where the package store keeps the ZIP (a path under OTA_STORAGE_PATH, or an object key)
    storage_key               text        not null,
    -- numeric version parts, so that "newest" is a plain ORDER BY
    version_major             integer     not null,
    version_minor             integer     not null,
    version_patch             integer     not null,
    -- device_uuids this update was published for; null means the whole fleet (and devices that join later)
    target_devices            jsonb,
    constraint updates_type_check check (update_type in ('scheduled', 'urgent')),
    constraint updates_sha256_check check (sha256 ~ '^[0-9a-f]{64}$'),
    constraint updates_size_check check (size_bytes > 0)
);

create index updates_newest on updates (version_major desc, version_minor desc, version_patch desc);

create table device_updates (
    id             uuid        primary key,
    device_id      uuid        not null references devices (id) on delete cascade,
    update_id      uuid        not null references updates (id) on delete cascade,
    status         text        not null default 'pending',
    scheduled_for  timestamptz not null,
    started_at     timestamptz,
    completed_at   timestamptz,
    error_message  text,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    constraint device_updates_device_update_unique unique (device_id, update_id),
    constraint device_updates_status_check
        check (status in ('pending', 'downloading', 'installing', 'completed', 'failed', 'superseded'))
);

-- The update check: a device's open update, found without touching its history.
create index device_updates_open on device_updates (device_id)
    where status in ('pending', 'downloading', 'installing');
-- Status counts per update, and the seed's troubleshooting query (by device, newest first).
create index device_updates_update_status on device_updates (update_id, status);
create index device_updates_device_created on device_updates (device_id, created_at desc);

-- On Supabase the Data API exposes the public schema to anyone holding the anon key. Row-level security with no
-- policy shuts that door; the server connects as the tables' owner, which RLS does not restrict.
alter table devices enable row level security;
alter table updates enable row level security;
alter table device_updates enable row level security;

-- The seed enables Supabase Realtime on device_updates. Plain PostgreSQL has no such publication, and a re-run
-- must not add the table twice: hence the guard.
do $$
begin
    if exists (select 1 from pg_publication where pubname = 'supabase_realtime')
       and not exists (select 1 from pg_publication_tables
                       where pubname = 'supabase_realtime' and tablename = 'device_updates') then
        execute 'alter publication supabase_realtime add table device_updates';
    end if;
end
$$;
