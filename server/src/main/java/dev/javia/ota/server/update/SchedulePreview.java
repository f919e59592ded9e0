package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.api.UpdateWindow;
import dev.javia.ota.server.device.InstallWindows;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * When the devices of each timezone would install a new rollout: for every timezone of the fleet (or of the target's
 * timezone) and every window in force there, the window its first phase's devices are given, by the rules
 * {@link Assignments#dueAt} and {@link NightlyWindow} apply when the phase is offered (a scheduled update waits for the
 * device's next window after the start; an urgent one is due at once), and the earliest window of a later phase,
 * which cannot open before the start plus the soak, nor before the first phase's devices had their window.
 */
@Component
class SchedulePreview {

    /** The preview's rows at most: the largest groups of the fleet; the rest are counted, not listed. */
    static final int MAX_ROWS = 50;

    private final JdbcClient jdbc;
    private final InstallWindows windows;
    private final InstallTurns turns;

    SchedulePreview(JdbcClient jdbc, InstallWindows windows, InstallTurns turns) {
        this.jdbc = jdbc;
        this.windows = windows;
        this.turns = turns;
    }

    /** One timezone and window: how many devices, and when their first phase's and a later phase's window open. */
    record Row(String timezone, long devices, UpdateWindow window, Instant opens, Instant closes,
            Instant laterOpens, Instant laterCloses) {
    }

    /** The rows, largest first, and how many devices are in groups not listed. */
    record Preview(List<Row> rows, long otherDevices, boolean urgent, boolean phased) {
    }

    Preview of(UpdateType type, Instant start, Duration soak, boolean phased, String timezone) {
        // one row per (zone, operator window, device hour): few, however large the fleet; bounded all the same
        List<Group> groups = jdbc.sql("""
                select d.timezone, d.window_start_hour, d.window_length_minutes, d.device_update_hour,
                       count(*) as devices
                from devices d where (?::text is null or d.timezone = ?)
                group by 1, 2, 3, 4 order by devices desc, 1 limit ?
                """).param(timezone).param(timezone).param(MAX_ROWS * 4)
                .query((rs, row) -> new Group(rs.getString(1), (Integer) rs.getObject(2), (Integer) rs.getObject(3),
                        (Integer) rs.getObject(4), rs.getLong(5))).list();
        long total = jdbc.sql("select count(*) from devices d where (?::text is null or d.timezone = ?)")
                .param(timezone).param(timezone).query(Long.class).single();
        Map<List<Object>, long[]> merged = new LinkedHashMap<>();
        Map<List<Object>, UpdateWindow> inForce = new LinkedHashMap<>();
        for (Group group : groups) {
            UpdateWindow window = windows.inForce(group.startHour(), group.lengthMinutes(), group.deviceHour());
            List<Object> key = List.of(group.timezone(), window.startHour(), window.lengthMinutes(), window.source());
            merged.computeIfAbsent(key, k -> new long[1])[0] += group.devices();
            inForce.putIfAbsent(key, window);
        }
        boolean urgent = type == UpdateType.URGENT;
        List<Row> first = new ArrayList<>();
        for (Map.Entry<List<Object>, long[]> entry : merged.entrySet()) {
            String zone = (String) entry.getKey().get(0);
            UpdateWindow window = inForce.get(entry.getKey());
            NightlyWindow nightly = turns.window(window);
            Instant opens = urgent ? start : nightly.next(start, ZoneId.of(zone));
            first.add(new Row(zone, entry.getValue()[0], window, opens, urgent ? null : opens.plus(nightly.length()),
                    null, null));
        }
        // a later phase opens once the one before passed its rules (its devices had their window) and soaked
        Instant laterFrom = first.stream().map(Row::opens).min(Comparator.naturalOrder()).orElse(start);
        Instant earliest = start.plus(soak).isAfter(laterFrom) ? start.plus(soak) : laterFrom;
        List<Row> rows = new ArrayList<>();
        for (Row row : first.stream().sorted(Comparator.comparingLong(Row::devices).reversed()
                .thenComparing(Row::timezone)).limit(MAX_ROWS).toList()) {
            if (!phased) {
                rows.add(row);
                continue;
            }
            NightlyWindow nightly = turns.window(row.window());
            Instant later = urgent ? earliest : nightly.next(earliest, ZoneId.of(row.timezone()));
            rows.add(new Row(row.timezone(), row.devices(), row.window(), row.opens(), row.closes(), later,
                    urgent ? null : later.plus(nightly.length())));
        }
        long listed = rows.stream().mapToLong(Row::devices).sum();
        return new Preview(rows, total - listed, urgent, phased);
    }

    private record Group(String timezone, Integer startHour, Integer lengthMinutes, Integer deviceHour,
            long devices) {
    }
}
