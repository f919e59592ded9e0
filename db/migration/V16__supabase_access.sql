-- What Supabase's Data API and Realtime may see of this schema. The server connects as the tables' owner, which
-- row-level security does not restrict (none of these tables FORCEs it), so nothing here changes what the server
-- reads or writes. On plain PostgreSQL without Supabase's roles the guarded parts do nothing. db/supabase/emulate.sql
-- recreates those roles and the publication for the tests (persistence/SupabaseAccessTests).

-- Every table of the schema, with no policy for anon or authenticated: the anon key and a signed-in user's key read
-- nothing and write nothing through the Data API. V1 to V15 enabled it table by table but missed device_challenges
-- (V12). Flyway's own history table cannot get it here: Flyway holds a lock on it for the whole run, and this
-- statement would wait for that lock forever (seen with Flyway 11); docs/operations.md gives the one statement to run
-- once on Supabase. A later migration's table enables it itself (persistence/SupabaseAccessTests checks them all).
alter table device_challenges enable row level security;

-- The seed's real-time tracking with the service key: changes to device_updates (Realtime, below) and its query of
-- device_updates with their updates and devices. Supabase's service_role bypasses row-level security, so on Supabase
-- these change nothing; they keep that reading working should it run under a role that does not (a member of
-- service_role without BYPASSRLS), and they are all it may read then: nothing else of the schema.
do $$
declare
    tracked text;
begin
    if not exists (select 1 from pg_roles where rolname = 'service_role') then
        return;
    end if;
    foreach tracked in array array['devices', 'updates', 'device_updates'] loop
        execute format('grant select on %I to service_role', tracked);
        if not exists (select 1 from pg_policies
                       where schemaname = current_schema() and tablename = tracked
                         and policyname = 'service_role reads') then
            execute format('create policy "service_role reads" on %I for select to service_role using (true)',
                           tracked);
        end if;
    end loop;
end
$$;

-- Realtime on device_updates, the table the seed enables it on. V1 did the same, but only if the publication existed
-- then: a database migrated before it moved onto Supabase gets it here. Only device_updates: devices takes a batched
-- last_seen write per heartbeat, which Realtime would decode and filter for every subscriber.
do $$
begin
    if exists (select 1 from pg_publication where pubname = 'supabase_realtime')
       and not exists (select 1 from pg_publication_tables
                       where pubname = 'supabase_realtime' and schemaname = current_schema()
                         and tablename = 'device_updates') then
        execute 'alter publication supabase_realtime add table device_updates';
    end if;
end
$$;
