package dev.javia.ota.server.notify;

import dev.javia.ota.server.web.ApiException;
import dev.javia.ota.server.web.UnreadableBodies;
import org.springframework.stereotype.Component;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Where a webhook may point. An admin key is powerful, but a webhook URL is also a way to make the server send
 * requests from inside its own network (to a database's HTTP port, a cloud metadata address): unless the operator
 * allows it, a destination must resolve to public addresses only, checked when the webhook is saved and again before
 * every delivery (a name can resolve elsewhere tomorrow).
 */
@Component
class Destinations {

    static final int MAX_URL_LENGTH = 2000;
    private static final String EXAMPLE = "e.g. https://hooks.slack.com/services/T000/B000/XXXX";

    private final boolean allowPrivate;

    Destinations(WebhookSettings settings) {
        this.allowPrivate = settings.allowPrivateAddresses();
    }

    /** The URL, checked; a 400 that says what to send otherwise. */
    URI check(String url) {
        if (url == null || url.isBlank()) {
            throw ApiException.badRequest("url is required: the address events are posted to, " + EXAMPLE);
        }
        if (url.length() > MAX_URL_LENGTH) {
            throw ApiException.badRequest("url is " + url.length() + " characters long; at most " + MAX_URL_LENGTH);
        }
        if (!url.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw ApiException.badRequest("url must be printable ASCII without spaces (percent-encode the rest), "
                    + EXAMPLE);
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw ApiException.badRequest("url is not a valid URL (" + UnreadableBodies.shown(e.getReason()) + "), "
                    + EXAMPLE);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw ApiException.badRequest("url must start with https:// (or http://), " + EXAMPLE);
        }
        if (uri.getRawUserInfo() != null || (uri.getRawAuthority() != null && uri.getRawAuthority().contains("@"))) {
            throw ApiException.badRequest("url must not carry a user or password before the host: put the"
                    + " receiver's credentials in its path or query, as Slack does");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw ApiException.badRequest("url needs a host name or address, " + EXAMPLE);
        }
        if (uri.getRawFragment() != null) {
            throw ApiException.badRequest("url must not have a #fragment: it is never sent to the receiver");
        }
        String refusal = refusal(uri);
        if (refusal != null) {
            throw ApiException.badRequest(refusal);
        }
        return uri;
    }

    /**
     * Why events may not be posted to this URL's host now, or null if they may: with private addresses allowed
     * nothing is resolved here (the HTTP client resolves as it connects).
     */
    String refusal(URI uri) {
        if (allowPrivate) {
            return null;
        }
        String host = uri.getHost();
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            return "the host " + UnreadableBodies.shown(host) + " does not resolve: send a URL whose host name"
                    + " resolves to a public address";
        }
        for (InetAddress address : addresses) {
            if (!isPublic(address)) {
                return "the host " + UnreadableBodies.shown(host) + " resolves to " + address.getHostAddress() + ", a"
                        + " loopback, private or link-local address, where webhooks may not point: use a public"
                        + " address, or set OTA_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=true for a receiver on the"
                        + " server's own network";
            }
        }
        return null;
    }

    static boolean isPublic(InetAddress address) {
        if (address.isAnyLocalAddress() || address.isLoopbackAddress() || address.isLinkLocalAddress()
                || address.isSiteLocalAddress() || address.isMulticastAddress()) {
            return false;
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return first != 0 // "this network"
                    && !(first == 100 && second >= 64 && second < 128) // carrier-grade NAT, 100.64/10
                    && !(first == 192 && second == 0 && (b[2] & 0xff) == 0) // IETF protocol assignments
                    && !(first == 198 && (second == 18 || second == 19)) // benchmarking
                    && first < 240; // reserved and broadcast
        }
        if (address instanceof Inet6Address) {
            // unique local fc00::/7; IPv4-compatible and NAT64 forms could reach the addresses above
            return (b[0] & 0xfe) != 0xfc && !(b[0] == 0 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b)
                    && !allZeroUpTo(b, 12);
        }
        return false;
    }

    private static boolean allZeroUpTo(byte[] bytes, int end) {
        for (int i = 0; i < end; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
