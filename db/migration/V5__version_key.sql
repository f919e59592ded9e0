-- A device's version as the protocol orders it (protocol's Version: v<major>.<minor>.<patch>, no leading zeros,
-- up to nine digits each), null when it does not parse. Scheduling compares with it, so that no device is offered
-- a version at or below the one it runs.
create function ota_version_key(version text) returns integer[]
    language sql immutable strict parallel safe
    as $$
        select array[m[1]::integer, m[2]::integer, m[3]::integer]
        from regexp_match(version,
                          '^v(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$') as m
        where m is not null
    $$;
