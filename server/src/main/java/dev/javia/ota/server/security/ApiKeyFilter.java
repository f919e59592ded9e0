package dev.javia.ota.server.security;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.OtaProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Authenticates every {@code /api/} call by its {@code X-API-Key} and refuses a key of the wrong kind (403) before
 * any controller runs. Finer rules that need data (a device's own downloads) are checked where the data is.
 */
@Component
class ApiKeyFilter extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(ApiKeyFilter.class);
    private static final Pattern DEVICE_PATH = Pattern.compile("^/api/v1/devices/([^/]+)(/.*)?$");
    private static final Pattern DEVICE_UPDATE_PATH = Pattern.compile("^/api/v1/updates/[^/]+/(download|status)$");

    private final List<String> adminKeyHashes;
    private final String enrollmentKeyHash;
    private final DeviceTokens deviceTokens;
    private final JsonMapper json = JsonMapper.builder().build();

    ApiKeyFilter(OtaProperties properties, DeviceTokens deviceTokens) {
        this.adminKeyHashes = properties.adminApiKeys().stream().filter(key -> !key.isBlank()).map(Secrets::hash)
                .toList();
        this.enrollmentKeyHash = Secrets.hash(properties.enrollmentKey());
        this.deviceTokens = deviceTokens;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !request.getRequestURI().startsWith(ApiPaths.BASE + "/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String key = request.getHeader(ApiPaths.API_KEY_HEADER);
        if (key == null || key.isBlank()) {
            refuse(response, request, HttpStatus.UNAUTHORIZED, "this endpoint needs an " + ApiPaths.API_KEY_HEADER
                    + " header: an admin key, the enrollment key (registration only) or the device's token");
            return;
        }
        Optional<Caller> caller = authenticate(key.trim());
        if (caller.isEmpty()) {
            log.info("refused unknown API key method={} path={}", request.getMethod(), request.getRequestURI());
            refuse(response, request, HttpStatus.UNAUTHORIZED, "the " + ApiPaths.API_KEY_HEADER
                    + " is not a key this server knows; a device whose token was lost registers again with the"
                    + " enrollment key");
            return;
        }
        Optional<String> refusal = refusal(caller.get(), request.getMethod(), request.getRequestURI());
        if (refusal.isPresent()) {
            refuse(response, request, HttpStatus.FORBIDDEN, refusal.get());
            return;
        }
        request.setAttribute(Caller.ATTRIBUTE, caller.get());
        chain.doFilter(request, response);
    }

    private Optional<Caller> authenticate(String key) {
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

    /** The coarse rule of each path: which kinds of key may call it at all. */
    private static Optional<String> refusal(Caller caller, String method, String path) {
        Set<Caller.Role> allowed = allowedRoles(method, path);
        if (!allowed.contains(caller.role())) {
            return Optional.of(switch (caller.role()) {
                case ENROLLMENT -> "the enrollment key may only register devices (POST " + ApiPaths.REGISTER
                        + "); use an admin key for this";
                case DEVICE -> "a device token opens only its own device's endpoints; use an admin key for this";
                case ADMIN -> "admin keys do not call this endpoint";
            });
        }
        Matcher device = DEVICE_PATH.matcher(path);
        if (caller.role() == Caller.Role.DEVICE && device.matches()
                && !caller.deviceUuid().equalsIgnoreCase(device.group(1))) {
            return Optional.of("this device token belongs to device " + caller.deviceUuid()
                    + " and opens only that device's endpoints");
        }
        return Optional.empty();
    }

    private static Set<Caller.Role> allowedRoles(String method, String path) {
        if (path.equals(ApiPaths.REGISTER)) {
            return EnumSet.of(Caller.Role.ADMIN, Caller.Role.ENROLLMENT);
        }
        if (DEVICE_PATH.matcher(path).matches() || DEVICE_UPDATE_PATH.matcher(path).matches()) {
            return EnumSet.of(Caller.Role.ADMIN, Caller.Role.DEVICE);
        }
        return EnumSet.of(Caller.Role.ADMIN);
    }

    private void refuse(HttpServletResponse response, HttpServletRequest request, HttpStatus status, String detail)
            throws IOException {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setTitle(status.getReasonPhrase());
        problem.setInstance(java.net.URI.create(request.getRequestURI()));
        response.setStatus(status.value());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        json.writeValue(response.getOutputStream(), problem);
    }
}
