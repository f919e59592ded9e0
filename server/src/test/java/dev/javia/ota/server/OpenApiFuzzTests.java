package dev.javia.ota.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.server.testing.ApiDocument;
import dev.javia.ota.server.testing.RawHttp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests generated from the API document ({@link FuzzRequests}) sent over a real socket to the real server: none
 * may answer 5xx or go unanswered, every refusal is an RFC 9457 problem detail with a detail and no internals, and an
 * answer of a documented operation has a documented status and the documented shape.
 *
 * <p>{@code -Dota.fuzz.requests=N} (600 by default, well under a minute) and {@code -Dota.fuzz.seed=S}: a fixed seed
 * by default, so that {@code mvn verify} sends the same sample each time (a failure there is a regression, not luck);
 * {@code bench/fuzz.sh} runs a long campaign with a new seed each time and names it, so that a run can be repeated.
 * The report goes to the test's output and to {@code target/fuzz/openapi-fuzz-report.txt}. A seeded generator and
 * one test rather than a property engine's tries: a campaign wants every distinct failure of a run counted and
 * shown, not the first one shrunk.
 */
class OpenApiFuzzTests extends ApiTestSupport {

    private static final Pattern INTERNALS = Pattern.compile(
            "\\b(java|javax|jakarta|org\\.springframework|org\\.apache|org\\.hibernate|tools\\.jackson|com\\.fasterxml)"
                    + "\\.[a-z]|Exception\\b|\\tat ");
    private static final Pattern VARYING = Pattern.compile(
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|'[^']*'|\"[^\"]*\"|\\d+",
            Pattern.CASE_INSENSITIVE);

    private static final long VERIFY_SEED = 11L;

    private final ServerLog serverLog = new ServerLog();

    @AfterEach
    void stopListening() {
        serverLog.close();
    }

    @Test
    void fuzzedRequestsGetNoServerErrorAndEveryRefusalIsAProblemDetail() throws IOException {
        int requests = Integer.getInteger("ota.fuzz.requests", 600);
        long seed = Long.getLong("ota.fuzz.seed", VERIFY_SEED);
        TestDevice device = register("Europe/Berlin");
        TestDevice other = register("UTC");
        String updateId = published("v1.0.0", "urgent");
        byte[] zip = Files.readAllBytes(samplePackage("v9.0.0", UpdateType.URGENT, null));
        ApiDocument document = ApiDocument.of(api);
        FuzzRequests generator = new FuzzRequests(document, new FuzzRequests.Fixtures(
                List.of(device.uuid(), other.uuid()), List.of(updateId), ADMIN, ENROLLMENT, device.token(),
                other.token(), zip), seed);
        RawHttp http = new RawHttp("127.0.0.1", port, Duration.ofSeconds(15));
        Report report = new Report(requests, seed);
        serverLog.listen();

        long started = System.nanoTime();
        for (int i = 0; i < requests; i++) {
            FuzzRequests.Fuzzed fuzzed = generator.next();
            serverLog.clear();
            RawHttp.Answer answer;
            try {
                answer = http.send(fuzzed.request());
            } catch (IOException e) {
                report.record(fuzzed, null, List.of(new Failure("no answer", e.getMessage())));
                continue;
            }
            report.record(fuzzed, answer, judge(document, fuzzed, answer));
        }
        report.elapsed = Duration.ofNanos(System.nanoTime() - started);

        String table = report.table();
        System.out.println(table);
        Path file = Path.of("target", "fuzz", "openapi-fuzz-report.txt");
        Files.createDirectories(file.getParent());
        Files.writeString(file, table);
        assertThat(report.failed).as(table).isZero();
    }

    private List<Failure> judge(ApiDocument document, FuzzRequests.Fuzzed fuzzed, RawHttp.Answer answer) {
        List<Failure> failures = new ArrayList<>();
        int status = answer.status();
        String method = fuzzed.request().method();
        String contentType = answer.header("Content-Type");
        if (status >= 500) {
            failures.add(new Failure("5xx", serverLog.cause()));
        }
        if (status >= 400 && !method.equals("HEAD")) {
            List<String> violations = document.problemViolations(status, contentType, answer.body());
            if (!violations.isEmpty()) {
                failures.add(new Failure(violations.get(0).contains(" is not application/problem+json")
                        ? "not a problem detail" : "malformed problem detail", String.join("; ", violations)));
            }
        }
        if (status >= 400 && INTERNALS.matcher(answer.text()).find()) {
            failures.add(new Failure("internals in the answer", answer.text()));
        }
        if (fuzzed.routable() && status < 500) {
            ApiDocument.Operation operation = fuzzed.operation();
            if (!operation.statuses().contains(String.valueOf(status))) {
                failures.add(new Failure("status not documented", status + " for " + operation));
            } else if (status < 400) {
                String path = fuzzed.request().target().split("\\?")[0];
                document.violations(method, path, status, contentType, answer.body())
                        .forEach(violation -> failures.add(new Failure("answer differs from the document", violation)));
            }
        }
        return failures;
    }

    /** One thing wrong with an answer: a kind for the table, and what exactly. */
    record Failure(String kind, String detail) {
    }

    /** The counts of a run, and each distinct failure with the first request that showed it. */
    private static final class Report {

        private static final List<String> SEVERITY = List.of("5xx", "no answer", "not a problem detail",
                "internals in the answer", "malformed problem detail", "status not documented",
                "answer differs from the document");

        private final int requests;
        private final long seed;
        private final Map<String, Integer> byStatusClass = new TreeMap<>();
        private final Map<String, int[]> byOperation = new TreeMap<>();
        private final Map<String, Integer> byKind = new TreeMap<>();
        private final Map<String, Integer> distinctCount = new TreeMap<>(Report::bySeverity);
        private final Map<String, java.util.Set<String>> distinctOperations = new TreeMap<>();
        private final Map<String, String> distinctExample = new LinkedHashMap<>();
        private int failed;
        private Duration elapsed = Duration.ZERO;

        Report(int requests, long seed) {
            this.requests = requests;
            this.seed = seed;
        }

        void record(FuzzRequests.Fuzzed fuzzed, RawHttp.Answer answer, List<Failure> failures) {
            String statusClass = answer == null ? "no answer" : (answer.status() / 100) + "xx";
            byStatusClass.merge(statusClass, 1, Integer::sum);
            int[] counts = byOperation.computeIfAbsent(fuzzed.operation().toString(), key -> new int[4]);
            counts[0]++;
            counts[answer == null || answer.status() >= 500 ? 3 : answer.status() < 300 ? 1 : 2]++;
            if (failures.isEmpty()) {
                return;
            }
            failed++;
            for (Failure failure : failures) {
                byKind.merge(failure.kind(), 1, Integer::sum);
                // one defect shows on many operations: the signature leaves the operation out, but for a 5xx
                String where = failure.kind().equals("5xx") ? fuzzed.request().method() + " "
                        + fuzzed.operation().path() + " " : "";
                String signature = "[" + failure.kind() + "] " + where + (answer == null ? "" : answer.status() + ": ")
                        + shorten(VARYING.matcher(String.valueOf(failure.detail())).replaceAll("_"), 150);
                distinctCount.merge(signature, 1, Integer::sum);
                distinctOperations.computeIfAbsent(signature, key -> new java.util.TreeSet<>())
                        .add(fuzzed.operation().toString());
                distinctExample.putIfAbsent(signature, "key " + fuzzed.key() + ": " + fuzzed.request().describe()
                        + "\n          -> " + (answer == null ? failure.detail() : answer.describe()));
            }
        }

        String table() {
            StringBuilder table = new StringBuilder();
            table.append(String.format("OpenAPI fuzz: %d requests generated from /v3/api-docs, seed %d, %.1f s%n",
                    requests, seed, elapsed.toMillis() / 1000.0));
            table.append(String.format("  %-10s %8s%n", "answer", "requests"));
            for (String statusClass : List.of("2xx", "3xx", "4xx", "5xx", "no answer")) {
                table.append(String.format("  %-10s %8d%n", statusClass, byStatusClass.getOrDefault(statusClass, 0)));
            }
            table.append(String.format("  %-52s %8s %6s %6s %6s%n", "operation", "requests", "2xx", "3-4xx", "5xx/-"));
            byOperation.forEach((operation, counts) -> table.append(String.format("  %-52s %8d %6d %6d %6d%n",
                    operation, counts[0], counts[1], counts[2], counts[3])));
            table.append(String.format(
                    "  5xx: %d, refusals that are no problem detail: %d, malformed problem details: %d%n",
                    byStatusClass.getOrDefault("5xx", 0), byKind.getOrDefault("not a problem detail", 0),
                    byKind.getOrDefault("malformed problem detail", 0)));
            table.append(String.format("  failed requests: %d of %d; by kind: %s; distinct failures: %d%n", failed,
                    requests, byKind, distinctCount.size()));
            distinctCount.forEach((signature, count) -> table.append(String.format("  %5dx %s%n        on %s%n"
                    + "        e.g. %s%n", count, signature, shorten(String.join(", ",
                    distinctOperations.get(signature)), 200), distinctExample.get(signature))));
            return table.toString();
        }

        /** Server errors first, then answers that are no problem detail, then the rest. */
        private static int bySeverity(String a, String b) {
            return Comparator.comparingInt((String signature) -> SEVERITY.stream()
                    .filter(kind -> signature.startsWith("[" + kind + "]")).findFirst().map(SEVERITY::indexOf)
                    .orElse(SEVERITY.size())).thenComparing(Comparator.naturalOrder()).compare(a, b);
        }

        private static String shorten(String text, int max) {
            String line = text.replace('\n', ' ');
            return line.length() > max ? line.substring(0, max) + "..." : line;
        }
    }

    /** The server's warnings and errors during one request, to name the cause of a 5xx. */
    private static final class ServerLog extends AppenderBase<ILoggingEvent> {

        private final ConcurrentLinkedQueue<ILoggingEvent> events = new ConcurrentLinkedQueue<>();

        @Override
        protected void append(ILoggingEvent event) {
            if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
                events.add(event);
            }
        }

        void listen() {
            Logger root = root();
            setContext(root.getLoggerContext());
            root.addAppender(this);
            start();
        }

        void close() {
            root().detachAppender(this);
            stop();
        }

        private static Logger root() {
            return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        }

        void clear() {
            events.clear();
        }

        /** The innermost exception logged for the request, or the last message when none was. */
        String cause() {
            String cause = "nothing logged";
            for (ILoggingEvent event : events) {
                IThrowableProxy thrown = event.getThrowableProxy();
                while (thrown != null && thrown.getCause() != null) {
                    thrown = thrown.getCause();
                }
                cause = thrown == null ? event.getFormattedMessage()
                        : thrown.getClassName().replaceAll(".*\\.", "") + ": " + thrown.getMessage();
            }
            return cause;
        }
    }
}
