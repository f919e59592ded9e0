-- Heartbeats rewrite last_seen of every device every five minutes, in batches. While last_seen was in an index
-- (devices_last_seen_not_offline), every such write was a non-HOT update: a new row version and a new entry in
-- each of the table's seven indexes, each on a page of its own; at a million devices that was about 7 KB of WAL per
-- heartbeat, mostly full-page images. Without it, a heartbeat that changes no indexed column (status, version,
-- token, zone) is a heap-only (HOT) update on the row's own page, and the free space fillfactor keeps in each page
-- makes room for it. The offline sweep, once a minute, reads the table sequentially instead (tens of
-- milliseconds per 100,000 devices).
drop index if exists devices_last_seen_not_offline;
alter table devices set (fillfactor = 80);
