-- Devices that prove who they are (issue 14). A device's own Ed25519 public key, as text (ed25519:BASE64), bound to
-- its uuid at the first registration that gives one; null while none is bound (devices from before keys bind theirs
-- at their next registration; an operator's reset-key clears it). Once bound, registering the uuid again needs the
-- key's signature over a challenge from the table below.
alter table devices add column public_key text;

-- The one outstanding challenge of a device bound to a key: a newer one replaces it (the primary key), the
-- registration that uses it deletes it in its own transaction (so no challenge is taken twice), and one past
-- expires_at is refused. Kept apart from devices so that an anonymous caller asking for a challenge never writes
-- (or locks) the device's row, which heartbeats update.
create table device_challenges (
    device_id   uuid        primary key references devices (id) on delete cascade,
    challenge   text        not null,
    expires_at  timestamptz not null
);
