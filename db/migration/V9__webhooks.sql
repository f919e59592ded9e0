-- Notifications through webhooks (issue 13): the operator's subscriptions, and the outbox of events to deliver.
-- An event is written in the transaction of what it tells of, one row per subscribed webhook; a job posts it later.

create table webhooks (
    id           uuid        primary key,
    url          text        not null,
    -- The HMAC key of X-Javia-Signature. It has to be kept as it is (a hash could not sign); it is never answered
    -- after the creation.
    secret       text        not null,
    -- The event types subscribed to; '{*}' is every type, those of today and those added later.
    events       text[]      not null,
    description  text,
    enabled      boolean     not null default true,
    created_at   timestamptz not null,
    updated_at   timestamptz not null
);

create table webhook_deliveries (
    id              uuid        primary key,
    -- One event delivered to several webhooks keeps one id: a receiver subscribed twice can tell repeats apart.
    event_id        uuid        not null,
    webhook_id      uuid        not null references webhooks (id) on delete cascade,
    event_type      text        not null,
    body            jsonb       not null,
    status          text        not null default 'pending',
    attempts        integer     not null default 0,
    next_attempt_at timestamptz not null,
    last_status     integer,
    last_error      text,
    created_at      timestamptz not null,
    delivered_at    timestamptz,
    constraint webhook_deliveries_status_check check (status in ('pending', 'delivered', 'failed'))
);

-- The job claims the pending rows that are due, the earliest first.
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending';
-- A webhook's delivery log, newest first.
create index webhook_deliveries_webhook_created on webhook_deliveries (webhook_id, created_at desc);

-- As in V1: Supabase's Data API must not expose these (the secrets above least of all).
alter table webhooks enable row level security;
alter table webhook_deliveries enable row level security;
