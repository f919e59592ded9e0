package dev.javia.ota.server.security;

import dev.javia.ota.server.OtaProperties;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationListener;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Refuses to start with a missing or weak key, and says which variable to set. It runs (registered in
 * {@code META-INF/spring.factories}) once the settings are complete and before any bean exists, so that a refused
 * start has neither connected to the database nor run a migration.
 */
final class CredentialsCheck implements ApplicationListener<ApplicationPreparedEvent> {

    static final int MIN_LENGTH = 24;
    private static final Set<String> PLACEHOLDERS = Set.of("changeme", "change-me", "secret", "password", "your-key",
            "your_key", "admin", "test", "example");

    @Override
    public void onApplicationEvent(ApplicationPreparedEvent event) {
        verify(Binder.get(event.getApplicationContext().getEnvironment()).bindOrCreate("ota", OtaProperties.class));
    }

    static void verify(OtaProperties properties) {
        List<String> problems = new ArrayList<>();
        List<String> adminKeys = properties.adminApiKeys() == null ? List.of() : properties.adminApiKeys();
        if (adminKeys.stream().allMatch(String::isBlank)) {
            problems.add("OTA_ADMIN_API_KEY is not set: set it to a random key (e.g. `openssl rand -hex 32`);"
                    + " several keys may be given comma-separated");
        }
        adminKeys.stream().filter(key -> !key.isBlank()).forEach(key -> weakness(key)
                .ifPresent(why -> problems.add("an OTA_ADMIN_API_KEY " + why)));
        String enrollment = properties.enrollmentKey();
        if (enrollment == null || enrollment.isBlank()) {
            problems.add("OTA_ENROLLMENT_KEY is not set: set it to a random key (e.g. `openssl rand -hex 32`);"
                    + " devices use it to register");
        } else {
            weakness(enrollment).ifPresent(why -> problems.add("OTA_ENROLLMENT_KEY " + why));
            if (adminKeys.contains(enrollment)) {
                problems.add("OTA_ENROLLMENT_KEY must differ from every OTA_ADMIN_API_KEY:"
                        + " the enrollment key is handed to devices and may only register them");
            }
        }
        if (!problems.isEmpty()) {
            throw new WeakCredentialsException(problems);
        }
    }

    private static Optional<String> weakness(String key) {
        if (key.length() < MIN_LENGTH) {
            return Optional.of("is too short (" + key.length() + " characters): use at least " + MIN_LENGTH
                    + " random characters, e.g. `openssl rand -hex 32`");
        }
        if (PLACEHOLDERS.contains(key.toLowerCase()) || key.chars().distinct().count() < 8) {
            return Optional.of("looks like a placeholder: use a random key, e.g. `openssl rand -hex 32`");
        }
        return Optional.empty();
    }
}
