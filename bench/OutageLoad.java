import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fleet for bench/db-outage.sh, JDK only (java OutageLoad.java ...): devices 1..N of the bench fleet (uuid and
 * token follow from n, as bench/lib.sh seeds them) each send a heartbeat every INTERVAL seconds, spread evenly, as
 * the agent does: after a 5xx or no answer they back off (5 s doubling to 10 min, with jitter) and not sooner than
 * the answer's Retry-After. Every VERSION_EVERY-th device reports a new version at each heartbeat
 * ("v1.RUN.k", k counting its acknowledged changes), sent again until it is acknowledged, as an agent does after an
 * install. Readiness is sampled every 250 ms. Every request goes to OUT.csv:
 *
 * <pre>
 * sent_ms,answered_ms,kind,device,status,version,last_seen,retry_after,note
 * </pre>
 * kind is hb (heartbeat, same version), hbv (a new version) or ready; status 0 means no answer (refused, reset,
 * timed out), -1 not sent yet (4,096 requests were in flight already: the device tries again 250 ms later);
 * last_seen is the server's in an acknowledged heartbeat's reply; note is the start of any other answer's body.
 *
 * Usage: OutageLoad URL DEVICES INTERVAL_S DURATION_S VERSION_EVERY RUN OUT.csv
 */
public class OutageLoad {

    private static final Pattern LAST_SEEN = Pattern.compile("\"last_seen\"\\s*:\\s*\"([^\"]+)\"");

    private final String url;
    private final int devices;
    private final long intervalMs;
    private final int versionEvery;
    private final int run;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build();
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
    private static final int IN_FLIGHT = 4096;

    private final Semaphore inFlight = new Semaphore(IN_FLIGHT);
    private final Queue<String> lines = new ConcurrentLinkedQueue<>();
    private final AtomicInteger ok = new AtomicInteger();
    private final AtomicInteger unavailable = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final int[] acknowledgedChanges;
    private final int[] failures;
    private volatile boolean running = true;

    private OutageLoad(String url, int devices, long intervalMs, int versionEvery, int run) {
        this.url = url;
        this.devices = devices;
        this.intervalMs = intervalMs;
        this.versionEvery = versionEvery;
        this.run = run;
        this.acknowledgedChanges = new int[devices + 1];
        this.failures = new int[devices + 1];
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            System.err.println("usage: OutageLoad URL DEVICES INTERVAL_S DURATION_S VERSION_EVERY RUN OUT.csv");
            System.exit(2);
        }
        OutageLoad load = new OutageLoad(args[0], Integer.parseInt(args[1]), Long.parseLong(args[2]) * 1000,
                Integer.parseInt(args[4]), Integer.parseInt(args[5]));
        load.run(Duration.ofSeconds(Long.parseLong(args[3])), Path.of(args[6]));
    }

    private void run(Duration duration, Path out) throws Exception {
        for (int n = 1; n <= devices; n++) {
            int device = n;
            timer.schedule(() -> heartbeat(device), intervalMs * (n - 1) / devices, TimeUnit.MILLISECONDS);
        }
        timer.scheduleAtFixedRate(this::readiness, 0, 250, TimeUnit.MILLISECONDS);
        long end = System.currentTimeMillis() + duration.toMillis();
        while (System.currentTimeMillis() < end) {
            Thread.sleep(5000);
            System.err.printf("[load] %d ok, %d 503, %d no answer, %d in flight%n", ok.get(), unavailable.get(),
                    failed.get(), IN_FLIGHT - inFlight.availablePermits());
        }
        running = false;
        inFlight.tryAcquire(IN_FLIGHT, 15, TimeUnit.SECONDS);
        timer.shutdownNow();
        try (PrintWriter writer = new PrintWriter(Files.newBufferedWriter(out))) {
            writer.println("sent_ms,answered_ms,kind,device,status,version,last_seen,retry_after,note");
            lines.forEach(writer::println);
        }
        System.exit(0);
    }

    private void heartbeat(int n) {
        if (!running) {
            return;
        }
        boolean changes = n % versionEvery == 0;
        String version = changes ? "v1." + run + "." + (acknowledgedChanges[n] + 1) : "v1.0.0";
        String uuid = String.format("00000000-0000-7000-8000-%012x", n);
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/api/v1/devices/" + uuid + "/heartbeat"))
                .timeout(Duration.ofSeconds(10)).header("X-API-Key", "dvt_bench_" + n)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"current_version\":\"" + version
                        + "\",\"status\":\"online\"}"))
                .build();
        send(request, changes ? "hbv" : "hb", n, version, (status, retryAfter) -> {
            long next;
            if (status == 200) {
                failures[n] = 0;
                if (changes) {
                    acknowledgedChanges[n]++;
                }
                next = intervalMs;
            } else {
                // the agent's backoff (transport/Backoff), never sooner than Retry-After (capped as the agent caps it)
                long cap = Math.min(600_000, 5_000L << Math.min(failures[n]++, 16));
                long half = cap / 2;
                next = Math.max(half + ThreadLocalRandom.current().nextLong(half + 1),
                        Math.min(600_000, retryAfter * 1000));
            }
            if (running) {
                timer.schedule(() -> heartbeat(n), next, TimeUnit.MILLISECONDS);
            }
        });
    }

    private void readiness() {
        if (running) {
            send(HttpRequest.newBuilder(URI.create(url + "/actuator/health/readiness")).timeout(Duration.ofSeconds(10))
                    .GET().build(), "ready", 0, "", (status, retryAfter) -> { });
        }
    }

    private interface Answered {
        void with(int status, long retryAfterSeconds);
    }

    private void send(HttpRequest request, String kind, int device, String version, Answered then) {
        if (!inFlight.tryAcquire()) {
            lines.add(System.currentTimeMillis() + ",-1," + kind + "," + device + ",-1," + version + ",,,");
            if (device > 0 && running) {
                timer.schedule(() -> heartbeat(device), 250, TimeUnit.MILLISECONDS);
            }
            return;
        }
        long sent = System.currentTimeMillis();
        http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) -> {
            try {
                long answered = System.currentTimeMillis();
                int status = error == null ? response.statusCode() : 0;
                long retryAfter = error == null ? response.headers().firstValue("Retry-After").flatMap(OutageLoad::seconds)
                        .orElse(-1L) : -1;
                String lastSeen = "";
                String note = "";
                if (status == 200 && !kind.equals("ready")) {
                    Matcher m = LAST_SEEN.matcher(response.body());
                    lastSeen = m.find() ? m.group(1) : "";
                } else if (status > 0 && status != 200 && status != 503) {
                    String body = response.body().replaceAll("[,\\s]+", " ");
                    note = body.substring(0, Math.min(100, body.length()));
                } else if (error != null) {
                    note = error.getClass().getSimpleName();
                }
                (status == 200 ? ok : status == 503 ? unavailable : failed).incrementAndGet();
                lines.add(sent + "," + answered + "," + kind + "," + device + "," + status + "," + version + ","
                        + lastSeen + "," + (retryAfter < 0 ? "" : retryAfter) + "," + note);
                then.with(status, Math.max(0, retryAfter));
            } finally {
                inFlight.release();
            }
        });
    }

    private static Optional<Long> seconds(String value) {
        try {
            return Optional.of(Long.parseLong(value.strip()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    static {
        // the JDK client's default keep-alive is 20 min; a device closes its connection soon after a burst
        System.setProperty("jdk.httpclient.keepalive.timeout", "2");
    }
}
