package dev.javia.ota.agent.update;

import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.protocol.trust.PublisherKeys;
import dev.javia.ota.protocol.trust.RollbackStatement;
import dev.javia.ota.protocol.trust.UntrustedException;

import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * Which offers the agent refuses by their version: the installed version itself (there is nothing to install), and
 * one below it unless a downgrade is meant. A server that assigns a stale update by mistake (an old row, a bad
 * rollout) must not take a device backwards.
 *
 * <p>Who may mean a downgrade depends on the keys. Without publisher keys, the operator, through the server:
 * {@link UpdateOffer#rollback}. With publisher keys, the publisher, because whoever controls the server (or sits
 * between it and the device) could set the flag: the offer must carry a {@link RollbackStatement} signed by a key
 * in force, whose {@code target_version} is the offered version, whose {@code replaces} names the version the
 * device runs, and which this device never installed before ({@link UsedStatements}: a replayed statement, this
 * rollout's after the device went forward again or another rollout's, takes nobody back). The offered version is
 * also the signed package's: {@link Verifying} refuses a package whose metadata names another version, so an old
 * package cannot pass under the statement's version.
 */
final class DowngradeRule {

    private DowngradeRule() {
    }

    /**
     * What the rule says about an offer: a refusal, or, for a downgrade under publisher keys, the statement that
     * allows it (verified and checked; {@link Verifying} records its id).
     */
    record Decision(String refusal, RollbackStatement statement) {

        static final Decision ALLOWED = new Decision(null, null);

        static Decision refused(String reason) {
            return new Decision(reason, null);
        }

        Optional<String> refusalReason() {
            return Optional.ofNullable(refusal);
        }
    }

    /**
     * Why {@code offer} is not installed on a device running {@code installed}; empty when it may be.
     *
     * @param keys the publisher keys in force (empty: the {@code rollback} flag decides)
     * @param used whether a statement id was installed before
     */
    static Optional<String> refusal(UpdateOffer offer, Optional<String> installed, PublisherKeys keys,
            Predicate<UUID> used) {
        return decide(offer, installed, keys, used).refusalReason();
    }

    /**
     * When either version is not {@code vMAJOR.MINOR.PATCH} (or the device has none yet) nothing is compared and the
     * offer goes on as before the rule: verifying refuses an offered version that is not one.
     */
    static Decision decide(UpdateOffer offer, Optional<String> installed, PublisherKeys keys, Predicate<UUID> used) {
        Optional<Version> offered = Version.tryParse(offer.version());
        Optional<Version> running = installed.flatMap(Version::tryParse);
        if (offered.isEmpty() || running.isEmpty()) {
            return Decision.ALLOWED;
        }
        int order = offered.get().compareTo(running.get());
        if (order == 0) {
            return Decision.refused("refused " + offered.get() + ": it is the installed version, so there is nothing "
                    + "to install; the device stays on " + running.get());
        }
        if (order > 0) {
            return Decision.ALLOWED;
        }
        String refused = "refused " + offered.get() + ": it is not above the installed " + running.get();
        if (!offer.rollback()) {
            return Decision.refused(refused + " and the offer is not a rollback; a downgrade needs the operator's "
                    + "rollback");
        }
        if (keys.isEmpty()) {
            return Decision.ALLOWED;
        }
        String sign = "; roll back with create_update.sh rollout rollback ID --to " + offered.get()
                + " --sign-key KEY";
        if (offer.rollbackStatement() == null) {
            return Decision.refused(refused + ", and the rollback carries no rollback statement signed by a publisher "
                    + "key (this device trusts " + keys.describe() + ")" + sign);
        }
        RollbackStatement statement;
        try {
            statement = offer.rollbackStatement().verify(keys);
        } catch (UntrustedException e) {
            return Decision.refused(refused + ", and its rollback statement is not trusted: " + e.getMessage());
        }
        if (!offered.get().toString().equals(statement.targetVersion())) {
            return Decision.refused(refused + ": its rollback statement " + statement.statementId() + " is for "
                    + statement.targetVersion() + ", not " + offered.get() + sign);
        }
        if (!statement.replaces().contains(running.get().toString())) {
            return Decision.refused(refused + ": its rollback statement " + statement.statementId() + " replaces "
                    + String.join(", ", statement.replaces()) + ", not the running " + running.get() + sign);
        }
        if (used.test(statement.statementId())) {
            return Decision.refused(refused + ": its rollback statement " + statement.statementId() + " was already "
                    + "installed on this device once (a replayed statement takes a device back only once)" + sign);
        }
        return new Decision(null, statement);
    }
}
