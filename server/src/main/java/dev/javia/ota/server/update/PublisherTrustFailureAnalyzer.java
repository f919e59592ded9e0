package dev.javia.ota.server.update;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns a start refused for its publisher keys into Spring Boot's short report instead of a stack trace. */
class PublisherTrustFailureAnalyzer extends AbstractFailureAnalyzer<PublisherTrust.Misconfigured> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, PublisherTrust.Misconfigured cause) {
        return new FailureAnalysis("The server's publisher keys are not usable:\n  - "
                + String.join("\n  - ", cause.problems()),
                "Set OTA_PUBLISHER_KEYS (in the environment or server/.env) to the publisher keys, comma-separated,"
                        + " each the line of a .pub file that `create_update.sh keygen` writes (ed25519:BASE64);"
                        + " leave it empty to accept unsigned packages.", cause);
    }
}
