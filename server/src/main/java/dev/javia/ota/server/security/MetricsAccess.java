package dev.javia.ota.server.security;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.web.Problems;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * The gate of {@code /actuator/prometheus}: the metrics key, or a remote address in the allowed blocks. With neither
 * configured the endpoint answers 404 to everyone whatever key is sent, admin keys too: no credential could open it, so
 * a 401 or 403 would only invite a caller to try keys (the start logs which settings open it).
 * Configured: no or a wrong key from an address not allowed is 401 when a key is configured (a key would open it),
 * else 403 (nothing the caller sends would). The metrics key opens this endpoint only, and no other key opens it.
 */
final class MetricsAccess extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(MetricsAccess.class);
    private static final String BEARER = "Bearer ";

    private final String keyHash;
    private final List<MetricsSettings.Block> blocks;

    MetricsAccess(MetricsSettings settings) {
        this.keyHash = settings.key() == null ? null : Secrets.hash(settings.key());
        this.blocks = settings.blocks();
        if (!settings.open()) {
            log.info("/actuator/prometheus answers 404: set OTA_METRICS_KEY or OTA_METRICS_ALLOW_FROM to scrape it");
        }
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (keyHash == null && blocks.isEmpty()) {
            Problems.write(response, HttpStatus.NOT_FOUND, "no such endpoint", request.getRequestURI());
            return;
        }
        String sent = sentKey(request);
        if (sent != null && keyHash != null && Secrets.sameHash(keyHash, Secrets.hash(sent))) {
            chain.doFilter(request, response);
            return;
        }
        if (allowedAddress(request.getRemoteAddr())) {
            chain.doFilter(request, response);
            return;
        }
        log.info("metrics scrape refused remote={} key={}", request.getRemoteAddr(), sent == null ? "none" : "wrong");
        if (keyHash != null) {
            response.setHeader("WWW-Authenticate", "Bearer");
            Problems.write(response, HttpStatus.UNAUTHORIZED, sent == null
                    ? "the metrics need the metrics key (OTA_METRICS_KEY) as Authorization: Bearer KEY or "
                            + ApiPaths.API_KEY_HEADER + ", or a scrape from an address in OTA_METRICS_ALLOW_FROM"
                    : "this is not the metrics key (OTA_METRICS_KEY); other keys do not open the metrics",
                    request.getRequestURI());
        } else {
            Problems.write(response, HttpStatus.FORBIDDEN, "the metrics are open only to addresses in"
                    + " OTA_METRICS_ALLOW_FROM, and " + request.getRemoteAddr() + " is not one", request.getRequestURI());
        }
    }

    private static String sentKey(HttpServletRequest request) {
        String authorization = request.getHeader("Authorization");
        if (authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return authorization.substring(BEARER.length()).trim();
        }
        String header = request.getHeader(ApiPaths.API_KEY_HEADER);
        return header == null ? null : header.trim();
    }

    private boolean allowedAddress(String remote) {
        // only a literal is parsed, never looked up in DNS (a remote address is one; a forwarded one Tomcat checked)
        if (blocks.isEmpty() || remote == null || !remote.matches("[0-9a-fA-F:.]+")) {
            return false;
        }
        byte[] address;
        try {
            address = InetAddress.getByName(remote).getAddress();
        } catch (UnknownHostException e) {
            return false;
        }
        return blocks.stream().anyMatch(block -> block.contains(address));
    }
}
