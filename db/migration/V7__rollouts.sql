-- Rollouts: one published update going to a set of devices in phases, advanced, paused or finished by one
-- reconciler (update/RolloutReconciler, under an advisory lock) and by the operator's actions.
-- A device's place in a rollout is a rollout_devices row (its phase, and whether it was offered the update yet);
-- the offer itself is the device_updates row the check reads, as before: a device is offered a rollout's update
-- only while the rollout runs and its phase is open, so the check's query did not change.
create table rollouts (
    id                       uuid        primary key,
    update_id                uuid        not null references updates (id) on delete cascade,
    kind                     text        not null default 'release',
    state                    text        not null,
    -- null: the whole fleet; else {"device_uuids": [...]} or filters {"version", "status", "timezone", "metadata"}
    target                   jsonb,
    -- [{"size": "1%", "planned_devices": 12}, ...]: cumulative sizes as the operator gave them, and what they held
    phases                   jsonb       not null,
    current_phase            integer     not null default 0,
    phase_started_at         timestamptz,
    -- the failure rule counts what finished since then: the phase's opening, or the last resume
    judged_since             timestamptz,
    soak_seconds             bigint      not null,
    success_threshold        double precision not null,
    min_finished             integer     not null,
    failure_threshold        double precision not null,
    min_sample               integer     not null,
    install_timeout_seconds  bigint      not null,
    max_concurrent           integer,
    auto_rollback            boolean     not null default false,
    require_approval         boolean     not null default false,
    start_at                 timestamptz,
    created_by               text        not null,
    created_at               timestamptz not null,
    approved_by              text,
    approved_at              timestamptz,
    paused_reason            text,
    finished_at              timestamptz,
    rollback_of              uuid        references rollouts (id) on delete set null,
    rolled_back_by           uuid        references rollouts (id) on delete set null,
    updated_at               timestamptz not null,
    constraint rollouts_kind_check check (kind in ('release', 'rollback')),
    constraint rollouts_state_check
        check (state in ('awaiting_approval', 'scheduled', 'running', 'paused', 'cancelled', 'finished')),
    constraint rollouts_thresholds_check
        check (success_threshold > 0 and success_threshold <= 1 and failure_threshold > 0 and failure_threshold <= 1),
    constraint rollouts_counts_check
        check (min_finished >= 1 and min_sample >= 1 and soak_seconds >= 0 and install_timeout_seconds > 0
               and (max_concurrent is null or max_concurrent >= 1))
);

-- The reconciler reads the rollouts that are not final; the update's page its latest rollout.
create index rollouts_active on rollouts (state) where state in ('awaiting_approval', 'scheduled', 'running', 'paused');
create index rollouts_update on rollouts (update_id, created_at desc);

create table rollout_devices (
    rollout_id  uuid    not null references rollouts (id) on delete cascade,
    device_id   uuid    not null references devices (id) on delete cascade,
    phase       integer not null,
    -- the device was offered the update (a device_updates row), or found not to need it; false while its phase is
    -- closed, the rollout paused, or the concurrency cap full
    offered     boolean not null default false,
    primary key (rollout_id, device_id)
);

-- Counting a phase; finding the devices still to offer without reading the others.
create index rollout_devices_phase on rollout_devices (rollout_id, phase);
create index rollout_devices_to_offer on rollout_devices (rollout_id, phase) where not offered;

-- Which rollout offered a device its update (null: published before rollouts), and whether the offer is a
-- rollback: the only offer of a version below the one the device runs. A constant default rewrites no row.
alter table device_updates add column rollout_id uuid references rollouts (id) on delete set null;
alter table device_updates add column rollback boolean not null default false;
-- The concurrency cap counts a rollout's open offers.
create index device_updates_rollout_open on device_updates (rollout_id)
    where status in ('pending', 'downloading', 'installing');

alter table rollouts enable row level security;
alter table rollout_devices enable row level security;
