package dev.javia.ota.server.security;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns a refused start into Spring Boot's short "APPLICATION FAILED TO START" report instead of a stack trace. */
class WeakCredentialsFailureAnalyzer extends AbstractFailureAnalyzer<WeakCredentialsException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, WeakCredentialsException cause) {
        return new FailureAnalysis("The server's keys are missing or weak (or admin keys badly named):\n  - "
                + String.join("\n  - ", cause.problems()),
                "Set OTA_ADMIN_API_KEY and OTA_ENROLLMENT_KEY (in the environment or server/.env) to two different"
                        + " random keys, e.g. from `openssl rand -hex 32`; admin keys as a comma-separated list of name:key"
                        + " (e.g. alice:KEY1,ci:KEY2) or plain keys.", cause);
    }
}
