-- Every per-device query of device_updates (the update check, the status report, the seed's troubleshooting
-- query by device) is served by device_updates_open or by the unique (device_id, update_id) index: EXPLAIN on
-- 300,000 rows gives the same plans and costs without this one, which cost every publication one more index
-- entry per device and every status change one more index update.
drop index if exists device_updates_device_created;
