package dev.javia.ota.agent.update;

import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.pkg.Version;

import java.util.Optional;

/**
 * Which offers the agent refuses by their version: one at or below the installed version, unless the operator
 * marked it a rollback, and the installed version itself, rollback or not (there is nothing to install). A server
 * that assigns a stale update by mistake (an old row, a bad rollout) must not take a device backwards; an operator
 * who means it says so with {@link UpdateOffer#rollback}.
 */
final class DowngradeRule {

    private DowngradeRule() {
    }

    /**
     * Why {@code offer} is not installed on a device running {@code installed}; empty when it may be. When either
     * version is not {@code vMAJOR.MINOR.PATCH} (or the device has none yet) nothing is compared and the offer goes
     * on as before the rule: verifying refuses an offered version that is not one.
     */
    static Optional<String> refusal(UpdateOffer offer, Optional<String> installed) {
        Optional<Version> offered = Version.tryParse(offer.version());
        Optional<Version> running = installed.flatMap(Version::tryParse);
        if (offered.isEmpty() || running.isEmpty()) {
            return Optional.empty();
        }
        int order = offered.get().compareTo(running.get());
        if (order == 0) {
            return Optional.of("refused " + offered.get() + ": it is the installed version, so there is nothing to "
                    + "install; the device stays on " + running.get());
        }
        if (order < 0 && !offer.rollback()) {
            return Optional.of("refused " + offered.get() + ": it is not above the installed " + running.get()
                    + " and the offer is not a rollback; a downgrade needs the operator's rollback");
        }
        return Optional.empty();
    }
}
