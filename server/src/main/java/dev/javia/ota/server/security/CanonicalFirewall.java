package dev.javia.ota.server.security;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.security.web.firewall.FirewalledRequest;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.security.web.firewall.StrictHttpFirewall;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Spring Security's strict firewall, which refuses {@code ;}, encoded {@code /}, {@code \}, {@code .} and
 * {@code %}, {@code //}, dot segments and non-ASCII paths, made stricter in two ways: no percent-encoding at all in
 * the path (no route of this API needs one, and a path spelt one way only cannot be read two ways), and a query
 * string whose percent-escapes are valid UTF-8 (Tomcat would otherwise fail on it deep inside a handler).
 */
final class CanonicalFirewall extends StrictHttpFirewall {

    CanonicalFirewall() {
        getEncodedUrlBlocklist().add("%");
    }

    @Override
    public FirewalledRequest getFirewalledRequest(HttpServletRequest request) {
        FirewalledRequest checked = super.getFirewalledRequest(request);
        String query = request.getQueryString();
        if (query != null && !decodesAsUtf8(query)) {
            throw new Refused("the query string is not valid percent-encoded UTF-8: encode each parameter's value"
                    + " as UTF-8, then percent-encode it (e.g. ?version=v1.2.3)");
        }
        return checked;
    }

    static boolean decodesAsUtf8(String query) {
        byte[] bytes = new byte[query.length()];
        int length = 0;
        for (int i = 0; i < query.length(); i++) {
            char c = query.charAt(i);
            if (c == '%') {
                if (i + 2 >= query.length() || !HexFormat.isHexDigit(query.charAt(i + 1))
                        || !HexFormat.isHexDigit(query.charAt(i + 2))) {
                    return false;
                }
                bytes[length++] = (byte) HexFormat.fromHexDigits(query, i + 1, i + 3);
                i += 2;
            } else if (c > 0x7f) {
                return false;
            } else {
                bytes[length++] = (byte) c;
            }
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, 0, length));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /** A refusal whose message is written for the caller. */
    static final class Refused extends RequestRejectedException {

        Refused(String detail) {
            super(detail);
        }
    }
}
