-- The audit log (server/.../audit/AuditLog): one row per operator action, written in the action's own transaction.
-- actor: the admin key's name, 'enrollment', 'device:<uuid>', or 'system' for what the server does by itself.
-- address: the request's remote address; null for the server's own jobs.
-- target_type / target_id: what was acted on ('update' + its id, 'device' + its uuid, 'rollout' + its id, ...).
create table audit_log (
    id          bigint generated always as identity primary key,
    at          timestamptz not null,
    actor       text        not null check (length(actor) <= 64),
    address     text                 check (length(address) <= 64),
    action      text        not null check (length(action) <= 64),
    target_type text        not null check (length(target_type) <= 32),
    target_id   text                 check (length(target_id) <= 128),
    details     jsonb       not null default '{}'::jsonb
);

-- GET /api/v1/audit: newest first, alone or filtered by actor, action or target (since/until bound the same index).
create index audit_log_at on audit_log (at desc, id desc);
create index audit_log_actor_at on audit_log (actor, at desc, id desc);
create index audit_log_action_at on audit_log (action, at desc, id desc);
create index audit_log_target_at on audit_log (target_type, target_id, at desc, id desc);

-- Append-only, in the database itself: an entry that could be edited or removed proves nothing. Row triggers refuse
-- UPDATE and DELETE, a statement trigger TRUNCATE (which no row trigger and no row-level security sees; Supabase grants
-- TRUNCATE on public tables to its API roles by default). The owner can still drop the triggers: that is a migration,
-- and shows in flyway_schema_history.
create function audit_log_refuse_change() returns trigger
    language plpgsql as
$$
begin
    raise exception 'audit_log is append-only: % refused', tg_op
        using errcode = 'insufficient_privilege',
              hint = 'entries are never changed or removed; record a new action instead';
end
$$;

create trigger audit_log_no_update_or_delete
    before update or delete on audit_log
    for each row execute function audit_log_refuse_change();
create trigger audit_log_no_truncate
    before truncate on audit_log
    for each statement execute function audit_log_refuse_change();

-- As for the other tables (V1): no policy, so the Data API's roles see nothing; the server owns the table.
alter table audit_log enable row level security;
