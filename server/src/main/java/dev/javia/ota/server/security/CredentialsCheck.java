package dev.javia.ota.server.security;

import dev.javia.ota.protocol.api.AdminKeyEntry;
import dev.javia.ota.server.OtaProperties;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationListener;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Refuses to start with a missing or weak key, or admin keys whose names are not valid, taken or given twice, and
 * says which variable to set. It runs (registered in {@code META-INF/spring.factories}) once the settings are
 * complete and before any bean exists, so that a refused start has neither connected to the database nor run a
 * migration.
 */
final class CredentialsCheck implements ApplicationListener<ApplicationPreparedEvent> {

    static final int MIN_LENGTH = 24;
    private static final Set<String> PLACEHOLDERS = Set.of("changeme", "change-me", "secret", "password", "your-key",
            "your_key", "admin", "test", "example");
    /** Actors the audit log names that no admin key may pose as. */
    private static final Set<String> RESERVED_NAMES = Set.of(Caller.SYSTEM, Caller.ENROLLMENT);

    @Override
    public void onApplicationEvent(ApplicationPreparedEvent event) {
        Binder binder = Binder.get(event.getApplicationContext().getEnvironment());
        verify(binder.bindOrCreate("ota", OtaProperties.class), binder.bindOrCreate("ota.metrics", MetricsSettings.class));
    }

    static void verify(OtaProperties properties) {
        verify(properties, new MetricsSettings(null, null, null));
    }

    static void verify(OtaProperties properties, MetricsSettings metrics) {
        List<String> problems = new ArrayList<>();
        List<AdminKeyEntry> adminKeys = AdminKeys.entries(properties.adminApiKeys());
        if (adminKeys.isEmpty()) {
            problems.add("OTA_ADMIN_API_KEY is not set: set it to a random key (e.g. `openssl rand -hex 32`);"
                    + " several keys may be given comma-separated, each as name:key (e.g. alice:KEY) so that the"
                    + " audit log names who acted");
        }
        problems.addAll(namingProblems(adminKeys));
        adminKeys.forEach(entry -> weakness(entry.key())
                .ifPresent(why -> problems.add("the OTA_ADMIN_API_KEY named " + nameForMessage(entry) + " " + why)));
        String enrollment = properties.enrollmentKey();
        if (enrollment == null || enrollment.isBlank()) {
            problems.add("OTA_ENROLLMENT_KEY is not set: set it to a random key (e.g. `openssl rand -hex 32`);"
                    + " devices use it to register");
        } else {
            weakness(enrollment).ifPresent(why -> problems.add("OTA_ENROLLMENT_KEY " + why));
            if (adminKeys.stream().anyMatch(entry -> entry.key().equals(enrollment.trim()))) {
                problems.add("OTA_ENROLLMENT_KEY must differ from every OTA_ADMIN_API_KEY:"
                        + " the enrollment key is handed to devices and may only register them");
            }
        }
        String metricsKey = metrics.key();
        if (metricsKey != null) {
            weakness(metricsKey).ifPresent(why -> problems.add("OTA_METRICS_KEY " + why));
            if (metricsKey.equals(enrollment == null ? null : enrollment.trim())
                    || adminKeys.stream().anyMatch(entry -> entry.key().equals(metricsKey))) {
                problems.add("OTA_METRICS_KEY must differ from every OTA_ADMIN_API_KEY and the OTA_ENROLLMENT_KEY:"
                        + " it sits in the Prometheus server's settings and may only read the metrics");
            }
        }
        for (String entry : metrics.allowFrom()) {
            try {
                MetricsSettings.Block.parse(entry);
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new WeakCredentialsException(problems);
        }
    }

    /**
     * Names that are not valid, taken by the server, or given twice, and one key under two names (the log could
     * not tell who used it). A name that is not valid is not quoted: the text before the ':' may be part of a key
     * that holds one.
     */
    private static List<String> namingProblems(List<AdminKeyEntry> adminKeys) {
        List<String> problems = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < adminKeys.size(); i++) {
            AdminKeyEntry entry = adminKeys.get(i);
            if (!entry.key().isEmpty() && !keys.add(entry.key())) {
                problems.add("OTA_ADMIN_API_KEY entry " + (i + 1) + " holds the key of an earlier entry: give each"
                        + " person or script a key of its own, so that the audit log can tell them apart");
            }
            if (!AdminKeyEntry.NAME.matcher(entry.name()).matches()) {
                problems.add("OTA_ADMIN_API_KEY entry " + (i + 1) + " has a name (the text before its first ':')"
                        + " that is not 1 to 32 of a-z, 0-9, '.', '_', '-' starting with a letter or digit: write"
                        + " it as name:key, e.g. alice:KEY, or give the key alone (it is then named by its position)");
            } else if (RESERVED_NAMES.contains(entry.name())) {
                problems.add("OTA_ADMIN_API_KEY entry " + (i + 1) + " is named '" + entry.name() + "', which the"
                        + " server keeps for " + (entry.name().equals(Caller.SYSTEM) ? "its own actions"
                        : "the enrollment key") + " in the audit log: choose another name");
            } else if (!seen.add(entry.name())) {
                problems.add("OTA_ADMIN_API_KEY names two keys '" + entry.name() + "'" + (entry.named() ? ""
                        : " (a key given alone is named by its position: admin, admin-2, ...)")
                        + ": give each key its own name, so that the audit log can tell them apart");
            }
        }
        return problems;
    }

    private static String nameForMessage(AdminKeyEntry entry) {
        return AdminKeyEntry.NAME.matcher(entry.name()).matches() ? "'" + entry.name() + "'" : "(not valid)";
    }

    private static Optional<String> weakness(String key) {
        if (key.length() < MIN_LENGTH) {
            return Optional.of("is too short (" + key.length() + " characters): use at least " + MIN_LENGTH
                    + " random characters, e.g. `openssl rand -hex 32`");
        }
        if (PLACEHOLDERS.contains(key.toLowerCase()) || key.chars().distinct().count() < 8) {
            return Optional.of("looks like a placeholder: use a random key, e.g. `openssl rand -hex 32`");
        }
        if (repeats(key)) {
            return Optional.of("is one short piece repeated (like changeme-changeme-changeme): its length adds nothing"
                    + " a guesser has to try; use a random key, e.g. `openssl rand -hex 32`");
        }
        return Optional.empty();
    }

    /**
     * Whether the key, without its separators and case, is a unit written at least twice over (and perhaps the start
     * of it once more): {@code changeme-changeme-changeme}, {@code abcabcabcabc}, {@code Secret_SECRET_secret}. A
     * random key repeats itself with a chance far below any attacker's.
     */
    static boolean repeats(String key) {
        String letters = key.toLowerCase(Locale.ROOT).replaceAll("[^\\p{Alnum}]", "");
        int n = letters.length();
        if (n < 2) {
            return n < key.length(); // nothing but separators around at most one character
        }
        // the shortest period, from the prefix function: the longest proper prefix that is also a suffix
        int[] border = new int[n];
        for (int i = 1; i < n; i++) {
            int k = border[i - 1];
            while (k > 0 && letters.charAt(i) != letters.charAt(k)) {
                k = border[k - 1];
            }
            border[i] = letters.charAt(i) == letters.charAt(k) ? k + 1 : 0;
        }
        int period = n - border[n - 1];
        return period * 2 <= n;
    }
}
