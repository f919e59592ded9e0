package dev.javia.ota.server.security;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Who may scrape {@code /actuator/prometheus} ({@code ota.metrics.*}): the holder of {@code key}, or a connection from
 * one of {@code allowFrom}; with neither set, nobody.
 *
 * @param key       the metrics key (OTA_METRICS_KEY), sent as {@code Authorization: Bearer KEY} or {@code X-API-Key};
 *                  checked like the other keys at start ({@link CredentialsCheck})
 * @param allowFrom addresses that may scrape without a key (OTA_METRICS_ALLOW_FROM), each an IPv4 or IPv6 address or
 *                  CIDR block; matched against the request's remote address, which is the connection's unless
 *                  {@code server.forward-headers-strategy} is set
 * @param refresh   how often the fleet's gauges are read from the database (a scrape itself reads none)
 */
@ConfigurationProperties("ota.metrics")
public record MetricsSettings(String key, List<String> allowFrom, @DefaultValue("15s") Duration refresh) {

    public MetricsSettings {
        key = key == null || key.isBlank() ? null : key.trim();
        allowFrom = allowFrom == null ? List.of()
                : allowFrom.stream().map(String::trim).filter(entry -> !entry.isEmpty()).toList();
        refresh = refresh == null ? Duration.ofSeconds(15) : refresh;
    }

    /** Whether anyone at all may scrape. */
    public boolean open() {
        return key != null || !allowFrom.isEmpty();
    }

    /** The parsed blocks; an entry that does not read throws, naming it. */
    List<Block> blocks() {
        List<Block> blocks = new ArrayList<>();
        for (String entry : allowFrom) {
            blocks.add(Block.parse(entry));
        }
        return blocks;
    }

    /** One address block: the leading {@code bits} of {@code network}. */
    record Block(byte[] network, int bits) {

        static Block parse(String entry) {
            int slash = entry.indexOf('/');
            String address = slash < 0 ? entry : entry.substring(0, slash);
            // a name would be looked up in DNS: only literal addresses
            if (!address.matches("[0-9a-fA-F:.]+") || address.isEmpty()) {
                throw new IllegalArgumentException(refusal(entry));
            }
            byte[] network;
            try {
                network = InetAddress.getByName(address).getAddress();
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(refusal(entry), e);
            }
            int bits = network.length * 8;
            if (slash >= 0) {
                String prefix = entry.substring(slash + 1);
                if (!prefix.matches("[0-9]{1,3}") || Integer.parseInt(prefix) > network.length * 8) {
                    throw new IllegalArgumentException(refusal(entry));
                }
                bits = Integer.parseInt(prefix);
            }
            return new Block(network, bits);
        }

        private static String refusal(String entry) {
            return "OTA_METRICS_ALLOW_FROM entry '" + entry + "' is not an IP address or CIDR block: write e.g."
                    + " 10.0.0.0/8, 192.168.1.20 or fd00::/8, comma-separated";
        }

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int whole = bits / 8;
            for (int i = 0; i < whole; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = 0xff << (8 - rest) & 0xff;
            return (address[whole] & mask) == (network[whole] & mask);
        }
    }
}
