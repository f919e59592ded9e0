package dev.javia.ota.protocol.trust;

import dev.javia.ota.protocol.pkg.PackageJson;
import dev.javia.ota.protocol.pkg.Version;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.security.PrivateKey;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The publisher's word that devices may go back a version: install {@code targetVersion} on a device that runs one
 * of {@code replaces}, as the rollback of rollout {@code rolloutId}. The operator's command line signs it
 * ({@code create_update.sh rollout rollback ... --sign-key}); the server checks it against the rollout it rolls
 * back and hands it on with each offer of that rollback; the agent checks it again against its pinned keys and its
 * installed version, and installs each statement at most once ({@code statementId}), so that a replayed statement
 * (another rollout's, or this one's after the device went forward again) takes nobody back.
 *
 * @param formatVersion 1
 * @param statementId   unique per statement
 * @param rolloutId     the release rollout this statement rolls back
 * @param targetVersion the version to install
 * @param replaces      the versions a device may run to take it (the rolled-back release's version at least)
 * @param issuedAt      when it was signed, for the operator's records
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record RollbackStatement(int formatVersion, UUID statementId, UUID rolloutId, String targetVersion,
                                List<String> replaces, Instant issuedAt) {

    public static final int FORMAT_VERSION = 1;
    /** A statement is a few hundred bytes; this bounds what a verifier parses. */
    public static final int MAX_STATEMENT_CHARS = 8192;

    public RollbackStatement {
        replaces = replaces == null ? List.of() : List.copyOf(replaces);
    }

    public static RollbackStatement of(UUID rolloutId, Version target, List<Version> replaces, Instant issuedAt) {
        return new RollbackStatement(FORMAT_VERSION, UUID.randomUUID(), rolloutId, target.toString(),
                replaces.stream().map(Version::toString).toList(), issuedAt);
    }

    /** Signs this statement's JSON as it is written here; the signed text travels with the signature. */
    public Signed sign(PrivateKey key) {
        String json = PackageJson.mapper().writeValueAsString(this);
        return new Signed(json, PublisherSignature.sign(key, SignaturePurpose.ROLLBACK, json.getBytes(
                java.nio.charset.StandardCharsets.UTF_8)));
    }

    /**
     * A statement as signed: its JSON text, byte for byte what the signature covers, and the signature. The text
     * is parsed only once the signature verifies.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Signed(String statement, PublisherSignature signature) {

        /**
         * @return the statement, once {@code keys} verified its signature and it is well formed
         * @throws UntrustedException when it is unsigned, signed by another key, altered, or not a statement
         */
        public RollbackStatement verify(PublisherKeys keys) {
            if (statement == null || statement.length() > MAX_STATEMENT_CHARS) {
                throw new UntrustedException("the rollback statement is missing or longer than "
                        + MAX_STATEMENT_CHARS + " characters: sign a new one with create_update.sh rollout rollback");
            }
            keys.verify(SignaturePurpose.ROLLBACK, statement.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    signature, "the rollback statement");
            return read();
        }

        /**
         * The statement as written, checked for its shape but not for its signature: for a verifier that has no
         * keys to verify it with (a server without {@code OTA_PUBLISHER_KEYS} keeps it for the agents that have).
         *
         * @throws UntrustedException when it is too long, comes without a signature, or is not a statement
         */
        public RollbackStatement read() {
            if (statement == null || statement.length() > MAX_STATEMENT_CHARS) {
                throw new UntrustedException("the rollback statement is missing or longer than "
                        + MAX_STATEMENT_CHARS + " characters: sign a new one with create_update.sh rollout rollback");
            }
            if (signature == null || signature.keyId() == null || signature.signature() == null) {
                throw new UntrustedException("the rollback statement has no signature (key_id and signature): sign"
                        + " it with create_update.sh rollout rollback ... --sign-key KEY");
            }
            RollbackStatement parsed;
            try {
                parsed = PackageJson.mapper().readValue(statement, RollbackStatement.class);
            } catch (JacksonException e) {
                throw new UntrustedException("the rollback statement is signed but is not a statement this program "
                        + "reads: sign a new one with create_update.sh rollout rollback");
            }
            if (parsed.formatVersion() != FORMAT_VERSION || parsed.statementId() == null || parsed.rolloutId() == null
                    || Version.tryParse(parsed.targetVersion()).isEmpty() || parsed.replaces().isEmpty()
                    || parsed.replaces().stream().anyMatch(v -> Version.tryParse(v).isEmpty())) {
                throw new UntrustedException("the rollback statement is signed but incomplete (format_version "
                        + FORMAT_VERSION + ", statement_id, rollout_id, target_version and replaces are needed): "
                        + "sign a new one with create_update.sh rollout rollback");
            }
            return parsed;
        }
    }
}
