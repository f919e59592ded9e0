package dev.javia.ota.agent.update;

import dev.javia.ota.agent.transport.ServerClient;
import dev.javia.ota.protocol.api.UpdateCheck;
import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import dev.javia.ota.protocol.trust.RollbackStatement;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.security.KeyPair;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The check's answer as the agent's own mapper reads it: today's server's offer with {@code signature} and
 * {@code rollback_statement}, and an older server's without them (an unsigned offer, no statement).
 */
class SignedOfferFormatTests {

    final JsonMapper json = new ServerClient(URI.create("http://127.0.0.1:9"), Duration.ofSeconds(1)).json();

    /** An answer of a server before signatures (and before the rollback flag). */
    static final String OLDER_SERVER = """
            {"update_available":true,"update":{"id":"01a21e1a-0c3e-7f2a-9b41-5d6e7f809a2c","version":"v1.2.3",
            "update_type":"scheduled","description":"Wake word fixes","package_url":"/api/v1/updates/x/download",
            "sha256":"4b1d6e2f9a0c3b5d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6","size_bytes":47980,
            "requires_system_packages":false,"system_packages":[]},"scheduled_for":"2026-06-17T08:30:00Z",
            "status":"pending","check_interval_seconds":300}""";

    @Test
    void readsTodaysSignedRollbackOffer() {
        KeyPair key = Ed25519Keys.generate();
        RollbackStatement.Signed statement = RollbackStatementTests.statement(key, "v1.2.2", "v1.2.3");
        String answer = """
                {"update_available":true,"update":{"id":"01a21e1a-0c3e-7f2a-9b41-5d6e7f809a2c","version":"v1.2.2",
                "update_type":"urgent","description":"Rollback","package_url":"/api/v1/updates/x/download",
                "sha256":"4b1d6e2f9a0c3b5d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6","size_bytes":47980,
                "requires_system_packages":false,"system_packages":[],"rollback":true,
                "signature":{"key_id":"%s","signature":"%s"},
                "rollback_statement":%s,"signed_by":"%s"},
                "scheduled_for":"2026-06-17T08:30:00Z","status":"pending","check_interval_seconds":300,
                "window_ends_at":null}""".formatted(statement.signature().keyId(), statement.signature().signature(),
                json.writeValueAsString(statement), statement.signature().keyId());

        UpdateOffer offer = json.readValue(answer, UpdateCheck.class).update();

        assertThat(offer.rollback()).isTrue();
        assertThat(offer.signature()).isEqualTo(statement.signature());
        assertThat(offer.rollbackStatement()).isEqualTo(statement);
        assertThat(offer.rollbackStatement().verify(SignedPackageTests.keysOf(key)).targetVersion())
                .as("the statement text arrives byte for byte").isEqualTo("v1.2.2");
    }

    @Test
    void readsAnOlderServersOfferWithoutThem() {
        UpdateOffer offer = json.readValue(OLDER_SERVER, UpdateCheck.class).update();

        assertThat(offer.version()).isEqualTo("v1.2.3");
        assertThat(offer.rollback()).isFalse();
        assertThat(offer.signature()).isNull();
        assertThat(offer.rollbackStatement()).isNull();
    }
}
