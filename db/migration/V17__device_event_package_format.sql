-- A device's package format (V15) is announced like its app's and agent's versions: every server instance keeps
-- which format each device's agent reads (device/KnownVersions) and forgets it on this event, so that a heartbeat
-- another instance wrote (an agent rolled back to one that reads format 1, say) is not taken here for a repeat of
-- what this instance saw last. The WHEN stays a plain comparison of columns: a heartbeat that moves only last_seen
-- still costs nothing here.
drop trigger devices_changed_event on devices;
create trigger devices_changed_event after update on devices
    for each row
    when (old.status is distinct from new.status
        or old.current_version is distinct from new.current_version
        or old.agent_version is distinct from new.agent_version
        or old.package_format is distinct from new.package_format
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
