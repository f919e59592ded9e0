-- The install window in force for each device, and the step it says it runs.
-- window_start_hour / window_length_minutes: the operator's window for this device (PATCH /api/v1/devices/{uuid});
-- both null when the operator set none. device_update_hour: the device's own DEVICE_UPDATE_HOUR, as its agent last
-- said it (null: none). The window in force is the operator's, else the device's hour with the fleet's length,
-- else the fleet's (OTA_SCHEDULED_HOUR, OTA_INSTALL_WINDOW).
-- update_step / update_progress: the install step the device said it runs in its last heartbeat while updating,
-- and how far its download has got; null otherwise.
-- Columns without a default: adding them rewrites no row.
alter table devices add column window_start_hour integer check (window_start_hour between 0 and 23);
alter table devices add column window_length_minutes integer check (window_length_minutes between 60 and 720);
alter table devices add constraint devices_window_whole
    check ((window_start_hour is null) = (window_length_minutes is null));
alter table devices add column device_update_hour integer check (device_update_hour between 0 and 23);
alter table devices add column update_step text check (length(update_step) <= 32);
alter table devices add column update_progress integer check (update_progress between 0 and 100);
