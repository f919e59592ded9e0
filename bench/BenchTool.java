import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.PackageBuilder;
import dev.javia.ota.protocol.pkg.Sha256;
import dev.javia.ota.protocol.pkg.Version;

import java.io.BufferedReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the bench scripts need from Java, run as a single source file (java BenchTool.java ...) on the protocol
 * classes of the server jar:
 *
 * <pre>
 * package OUT.zip VERSION scheduled|urgent RANDOM_BYTES   a valid package (PackageBuilder) with a file of random bytes
 * turns URL FIRST LAST                                    each bench device's update check (device n: token dvt_bench_n),
 *                                                         its scheduled_for counted by minute: prints "minute count" lines
 * window HOUR                                             stdin: "zone created_at scheduled_for" per line (psql -A -F' ');
 *                                                         prints each line with the expected next window and OK/WRONG
 * </pre>
 */
public class BenchTool {

    public static void main(String[] args) throws Exception {
        switch (args.length == 0 ? "" : args[0]) {
            case "package" -> buildPackage(Path.of(args[1]), Version.parse(args[2]), UpdateType.parse(args[3]),
                    Long.parseLong(args[4]));
            case "window" -> checkWindows(Integer.parseInt(args[1]));
            case "turns" -> countTurns(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            default -> {
                System.err.println("usage: BenchTool package OUT VERSION TYPE RANDOM_BYTES | window HOUR"
                        + " | turns URL FIRST LAST");
                System.exit(2);
            }
        }
    }

    /**
     * Asks the server, as each device would, when its turn with the pending update begins, and counts the answers
     * by minute (UTC). Eight requests in flight; a device whose check fails or offers nothing stops the count.
     */
    private static void countTurns(String url, int first, int last) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        Map<String, Integer> perMinute = new ConcurrentSkipListMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> done = new ArrayList<>();
        for (int n = first; n <= last; n++) {
            int device = n;
            done.add(pool.submit(() -> {
                String uuid = String.format("00000000-0000-7000-8000-%012x", device);
                HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/api/v1/devices/" + uuid
                        + "/updates/check")).header("X-API-Key", "dvt_bench_" + device).build();
                String body = client.send(request, HttpResponse.BodyHandlers.ofString()).body();
                Matcher at = SCHEDULED_FOR.matcher(body);
                if (!at.find()) {
                    throw new IllegalStateException("device " + device + ": no scheduled_for in " + body);
                }
                perMinute.merge(at.group(1), 1, Integer::sum);
                return null;
            }));
        }
        for (Future<?> each : done) {
            each.get();
        }
        pool.shutdown();
        perMinute.forEach((minute, count) -> System.out.println(minute + " " + count));
    }

    private static final Pattern SCHEDULED_FOR = Pattern.compile("\"scheduled_for\":\"([0-9T:-]{16})");

    /** Random content (fixed seed: the same arguments give the same bytes) inside a package the server accepts. */
    private static void buildPackage(Path zip, Version version, UpdateType type, long randomBytes) throws Exception {
        Path source = Files.createTempDirectory("bench-source-");
        try {
            Files.writeString(source.resolve("client.py"), "print('javia bench " + version + "')\n");
            try (OutputStream out = Files.newOutputStream(source.resolve("payload.bin"))) {
                SplittableRandom random = new SplittableRandom(42);
                byte[] buffer = new byte[1 << 20];
                for (long left = randomBytes; left > 0; left -= buffer.length) {
                    for (int i = 0; i < buffer.length; i += 8) {
                        long word = random.nextLong();
                        for (int b = 0; b < 8; b++) {
                            buffer[i + b] = (byte) (word >>> (8 * b));
                        }
                    }
                    out.write(buffer, 0, (int) Math.min(left, buffer.length));
                }
            }
            PackageBuilder.buildFile(source, version, type, "bench package " + version, List.of(),
                    Instant.parse("2025-01-01T00:00:00Z"), zip);
            System.out.println(Sha256.of(zip) + " " + Files.size(zip));
        } finally {
            try (var files = Files.walk(source)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    /**
     * The design's rule, computed here independently of the server: the first HOUR:00 local after the moment the row
     * was scheduled; a HOUR:00 in a gap moves past the gap, one in an overlap is the earlier (java.time's ZonedDateTime.of).
     */
    private static void checkWindows(int hour) throws Exception {
        DateTimeFormatter pg = new DateTimeFormatterBuilder().appendPattern("yyyy-MM-dd HH:mm:ss")
                .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
                .appendPattern("X").toFormatter();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        int wrong = 0;
        for (String line; (line = in.readLine()) != null; ) {
            if (line.isBlank()) {
                continue;
            }
            String[] parts = line.split("\\|");
            ZoneId zone = ZoneId.of(parts[0]);
            Instant created = OffsetDateTime.parse(parts[1], pg).toInstant();
            Instant actual = OffsetDateTime.parse(parts[2], pg).toInstant();
            LocalDate today = created.atZone(zone).toLocalDate();
            Instant expected = ZonedDateTime.of(today, LocalTime.of(hour, 0), zone).toInstant();
            if (!expected.isAfter(created)) {
                expected = ZonedDateTime.of(today.plusDays(1), LocalTime.of(hour, 0), zone).toInstant();
            }
            boolean ok = expected.equals(actual);
            wrong += ok ? 0 : 1;
            System.out.printf("%-32s %s  %s  local %s  %s%n", zone, actual, expected.equals(actual) ? "=" : "!= " + expected,
                    actual.atZone(zone).toLocalDateTime(), ok ? "OK" : "WRONG");
        }
        System.exit(wrong == 0 ? 0 : 1);
    }
}
