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
import java.util.Map;
import java.util.Optional;

/**
 * Resolves the {@code X-API-Key} of a request to its {@link Caller}: one of the admin keys (named, see
 * {@link AdminKeys}), the enrollment key, or a device's token. Keys are compared as SHA-256 hashes in constant time and never logged. A database that does not
 * answer while a token is looked up is not a bad key: that failure is thrown on as it is (and answered 503).
 */
@Component
class ApiKeys implements AuthenticationConverter, AuthenticationManager {

    private static final Logger log = LoggerFactory.getLogger(ApiKeys.class);

    /** The admin keys' names by the hashes of their keys, in the configured order. */
    private final List<Map.Entry<String, String>> adminKeyHashes;
    private final String enrollmentKeyHash;
    private final DeviceTokens deviceTokens;

    ApiKeys(OtaProperties properties, DeviceTokens deviceTokens) {
        this.adminKeyHashes = AdminKeys.entries(properties.adminApiKeys()).stream()
                .map(entry -> Map.entry(Secrets.hash(entry.key()), entry.name())).toList();
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

    /**
     * The admin a dashboard sign-in's key belongs to, with the hash its session keeps to be checked on every page
     * ({@link #isAdminKeyHash}); empty for any other key, the enrollment key and device tokens included.
     */
    Optional<DashboardAuthentication> signIn(String key) {
        if (key == null || key.isBlank()) {
            return Optional.empty();
        }
        String hash = Secrets.hash(key.trim());
        return adminName(hash).map(name -> new DashboardAuthentication(Caller.admin(name), hash));
    }

    /** Whether an admin key with this hash is configured now: a session whose key was removed ends. */
    boolean isAdminKeyHash(String hash) {
        return hash != null && adminName(hash).isPresent();
    }

    private Optional<String> adminName(String hash) {
        // every hash is compared, whichever matches: the time taken says nothing about which key it was
        String adminName = null;
        for (Map.Entry<String, String> admin : adminKeyHashes) {
            if (Secrets.sameHash(hash, admin.getKey()) && adminName == null) {
                adminName = admin.getValue();
            }
        }
        return Optional.ofNullable(adminName);
    }

    private Optional<Caller> find(String key) {
        String hash = Secrets.hash(key);
        Optional<String> adminName = adminName(hash);
        if (adminName.isPresent()) {
            return Optional.of(Caller.admin(adminName.get()));
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
