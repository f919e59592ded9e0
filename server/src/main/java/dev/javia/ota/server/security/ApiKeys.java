package dev.javia.ota.server.security;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.OtaProperties;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.authentication.AuthenticationConverter;
import org.springframework.stereotype.Component;

import java.util.List;
import java.util.Optional;

/**
 * Resolves the {@code X-API-Key} of a request to its {@link Caller}: one of the admin keys, the enrollment key, or
 * a device's token. Keys are compared as SHA-256 hashes in constant time and never logged. A database that does not
 * answer while a token is looked up is not a bad key: that failure is thrown on as it is (and answered 503).
 */
@Component
class ApiKeys implements AuthenticationConverter, AuthenticationManager {

    private static final Logger log = LoggerFactory.getLogger(ApiKeys.class);

    private final List<String> adminKeyHashes;
    private final String enrollmentKeyHash;
    private final DeviceTokens deviceTokens;

    ApiKeys(OtaProperties properties, DeviceTokens deviceTokens) {
        this.adminKeyHashes = properties.adminApiKeys().stream().filter(key -> !key.isBlank()).map(Secrets::hash)
                .toList();
        this.enrollmentKeyHash = Secrets.hash(properties.enrollmentKey());
        this.deviceTokens = deviceTokens;
    }

    /** The key a request presents, or null for none (the request then stays anonymous). */
    @Override
    public Authentication convert(HttpServletRequest request) {
        String key = request.getHeader(ApiPaths.API_KEY_HEADER);
        return key == null || key.isBlank() ? null : ApiKeyAuthentication.presented(key.trim());
    }

    @Override
    public Authentication authenticate(Authentication authentication) {
        String key = ((ApiKeyAuthentication) authentication).key();
        return find(key).map(ApiKeyAuthentication::of)
                .orElseThrow(() -> new BadCredentialsException("unknown key"));
    }

    private Optional<Caller> find(String key) {
        String hash = Secrets.hash(key);
        boolean admin = false;
        for (String adminHash : adminKeyHashes) {
            admin |= Secrets.sameHash(hash, adminHash);
        }
        if (admin) {
            return Optional.of(Caller.admin());
        }
        if (Secrets.sameHash(hash, enrollmentKeyHash)) {
            return Optional.of(Caller.enrollment());
        }
        return deviceTokens.find(hash);
    }

    static void logRefused(HttpServletRequest request) {
        log.info("refused unknown API key method={} path={}", request.getMethod(), request.getRequestURI());
    }
}
