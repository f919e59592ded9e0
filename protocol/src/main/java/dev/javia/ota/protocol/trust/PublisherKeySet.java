package dev.javia.ota.protocol.trust;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;

/**
 * The publisher keys an agent is to trust from now on, carried by a signed package's {@code update_metadata.json}
 * ({@code publisher_keys}): how a new key reaches every agent (a package signed by the old key names both) and how
 * the old one is retired (a later package signed by the new key names only the new one). An agent takes a set only
 * from a package whose signature it verified, and only with a {@code serial} above the one it holds, so that an
 * older package (a rollback, a replay) never brings a retired key back.
 *
 * @param serial increases with each set the publisher issues
 * @param keys   {@code ed25519:BASE64} each; never empty
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record PublisherKeySet(long serial, List<String> keys) {

    public PublisherKeySet {
        keys = keys == null ? List.of() : List.copyOf(keys);
    }

    /** @throws IllegalArgumentException when the serial is below 1, or the set is empty or holds a non-key */
    public PublisherKeys parsed() {
        if (serial < 1) {
            throw new IllegalArgumentException("publisher_keys has serial " + serial + "; serials start at 1");
        }
        PublisherKeys parsed = PublisherKeys.parse(keys);
        if (parsed.isEmpty()) {
            throw new IllegalArgumentException("publisher_keys lists no key: an agent would trust nothing");
        }
        return parsed;
    }
}
