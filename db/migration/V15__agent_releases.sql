-- Agent releases (issue 16): an update may carry a new agent (javia_agent/ in the package, format_version 2), and
-- the device record shows the agent's version next to the app's.
--
-- devices.agent_version: the agent's own version (vMAJOR.MINOR.PATCH) as its heartbeats say it; null until one does.
-- devices.package_format: the newest package format the device's agent reads, as its heartbeats say it; null for an
-- agent before agent releases, which reads format 1 only. Both are written only by a heartbeat that carries them
-- (device/Heartbeats keeps what the row holds otherwise), and neither is in an index, so that a heartbeat that
-- changes nothing indexed stays a HOT update (V3).
alter table devices add column agent_version text;
alter table devices add column package_format integer;

-- updates.agent_version: the agent release the package carries (null: an app-only update).
-- updates.package_format: the package's format_version; the update check never offers a package to a device whose
-- agent reads an older format (update/UpdateChecks): it fails the device's update instead, saying what to do.
alter table updates add column agent_version text;
alter table updates add column package_format integer not null default 1;

-- The operator sees the agent's version (the dashboard's device pages): a change of it is announced like the app's
-- version (V13). The WHEN stays a plain comparison of columns, so that a heartbeat that moves only last_seen still
-- costs nothing here.
drop trigger devices_changed_event on devices;
create trigger devices_changed_event after update on devices
    for each row
    when (old.status is distinct from new.status
        or old.current_version is distinct from new.current_version
        or old.agent_version is distinct from new.agent_version
        or old.device_name is distinct from new.device_name
        or old.timezone is distinct from new.timezone
        or old.update_step is distinct from new.update_step
        or old.update_progress is distinct from new.update_progress
        or old.window_start_hour is distinct from new.window_start_hour
        or old.window_length_minutes is distinct from new.window_length_minutes
        or old.device_update_hour is distinct from new.device_update_hour
        or old.public_key is distinct from new.public_key
        or old.metadata is distinct from new.metadata)
    execute function ota_device_event();
