-- What a Supabase project's database has before any migration runs, recreated on plain PostgreSQL, so that the
-- tests can check the migrations against it: the Data API's roles, their default grants on schema public, and
-- the Realtime publication. Modelled on Supabase's initial schema (supabase/postgres init scripts, as in
-- supabase/realtime's dev/postgres/00-setup.sql).
--
-- Run it as a superuser (BYPASSRLS needs one), in the database the migrations will run in, as the user that will
-- run them (the default privileges below are that user's, as Supabase's are postgres'), before the migrations:
--
--     psql -v ON_ERROR_STOP=1 -U postgres -d <database> -f db/supabase/emulate.sql
--
-- Running it again changes nothing. The roles belong to the whole PostgreSQL server, not to one database: they are
-- created when missing and never altered or dropped here. Not for a real Supabase project, which has all of this.

do $$
begin
    -- The Data API (PostgREST) switches to anon for the anon key and to authenticated for a signed-in user's JWT;
    -- neither can log in. Row-level security applies to both.
    if not exists (select 1 from pg_roles where rolname = 'anon') then
        create role anon nologin noinherit;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'authenticated') then
        create role authenticated nologin noinherit;
    end if;
    -- The service key's role: server-side only, and not subject to row-level security.
    if not exists (select 1 from pg_roles where rolname = 'service_role') then
        create role service_role nologin noinherit bypassrls;
    end if;
    -- The role the Data API logs in as before switching. Supabase's logs in with a password; nothing logs in as it
    -- here, so it stays nologin rather than leave a password-less login on a shared test server.
    if not exists (select 1 from pg_roles where rolname = 'authenticator') then
        create role authenticator nologin noinherit;
    end if;
end
$$;

grant anon, authenticated, service_role to authenticator;

-- Supabase grants everything on whatever is created in public: what the Data API's roles may then see is decided
-- by row-level security alone, which is why every table of the schema must have it enabled.
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;

-- Supabase creates it empty; "enable realtime" on a table adds the table to it. Plain PostgreSQL accepts it with
-- any wal_level (it warns below logical): the tests read its tables, nothing decodes changes.
do $$
begin
    if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
        create publication supabase_realtime;
    end if;
end
$$;
