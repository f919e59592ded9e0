package dev.javia.ota.server.security;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.web.Problems;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authorization.AuthorizationDeniedException;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.WebSecurityCustomizer;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.authentication.AnonymousAuthenticationFilter;
import org.springframework.security.web.authentication.AuthenticationFilter;
import org.springframework.security.web.context.RequestAttributeSecurityContextRepository;

import java.io.IOException;

/**
 * Who may call what, on Spring Security: deny by default. Every route needs a key unless it is listed as public
 * (health, info and the API document; a device's challenge; a registration, which then needs its device's proof,
 * see {@link Audiences#REGISTRATION}); each group of routes names the kinds of key it admits ({@link Audiences});
 * anything not listed is for admins. The Prometheus scrape has a chain of its own, which no API key opens
 * ({@link MetricsAccess}). Before any of that, the firewall ({@link CanonicalFirewall}) refuses paths
 * that are not in canonical form, so that no spelling of a path reaches a controller the rules did not see.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    /** Needs no key: they reveal no fleet data. */
    static final String[] PUBLIC = {"/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness",
            "/actuator/info", "/v3/api-docs", "/v3/api-docs/swagger-config", "/swagger-ui.html", "/swagger-ui/**"};

    /**
     * The Prometheus scrape, before the API's chain: its own gate ({@link MetricsAccess}), which no API key opens and
     * which answers 404 while neither a metrics key nor addresses are configured.
     */
    @Bean
    @Order(0)
    SecurityFilterChain metrics(HttpSecurity http, MetricsSettings settings) {
        http.securityMatcher(METRICS)
                .csrf(AbstractHttpConfigurer::disable)
                .httpBasic(AbstractHttpConfigurer::disable)
                .formLogin(AbstractHttpConfigurer::disable)
                .logout(AbstractHttpConfigurer::disable)
                .requestCache(AbstractHttpConfigurer::disable)
                .anonymous(AbstractHttpConfigurer::disable)
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .addFilterBefore(new MetricsAccess(settings), AuthorizationFilter.class)
                .authorizeHttpRequests(routes -> routes.anyRequest().permitAll());
        return http.build();
    }

    static final String[] METRICS = {"/actuator/prometheus", "/actuator/prometheus/**"};

    @Bean
    SecurityFilterChain api(HttpSecurity http, ApiKeys keys) {
        AuthenticationFilter authentication = new AuthenticationFilter(keys, keys);
        authentication.setSuccessHandler((request, response, auth) -> {
        });
        authentication.setFailureHandler((request, response, exception) -> {
            ApiKeys.logRefused(request);
            unauthorized(request, response, exception);
        });
        // the caller lives as long as its request: no session, no cookie
        authentication.setSecurityContextRepository(new RequestAttributeSecurityContextRepository());
        http.csrf(AbstractHttpConfigurer::disable)
                .httpBasic(AbstractHttpConfigurer::disable)
                .formLogin(AbstractHttpConfigurer::disable)
                .logout(AbstractHttpConfigurer::disable)
                .requestCache(AbstractHttpConfigurer::disable)
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .addFilterBefore(authentication, AnonymousAuthenticationFilter.class)
                .exceptionHandling(errors -> errors
                        .authenticationEntryPoint(SecurityConfiguration::unauthorized)
                        .accessDeniedHandler(SecurityConfiguration::forbidden))
                .authorizeHttpRequests(routes -> routes
                        // the error page only renders the status of a request that was already let in or refused
                        .dispatcherTypeMatchers(DispatcherType.ERROR).permitAll()
                        .requestMatchers(PUBLIC).permitAll()
                        // a challenge is worth something only to the holder of the device's key: no key needed
                        .requestMatchers(HttpMethod.POST, ApiPaths.CHALLENGE).permitAll()
                        .requestMatchers(HttpMethod.POST, ApiPaths.REGISTER).access(Audiences.REGISTRATION)
                        // resetting a device's key is the operator's; the device's own token must not open it
                        .requestMatchers(ApiPaths.BASE + "/devices/{" + Audiences.DEVICE_UUID + "}/reset-key",
                                ApiPaths.BASE + "/devices/{" + Audiences.DEVICE_UUID + "}/reset-key/")
                        .access(Audiences.OPERATORS)
                        .requestMatchers(ApiPaths.BASE + "/devices", ApiPaths.DEVICES).access(Audiences.OPERATORS)
                        // renaming a device or setting its window is the operator's decision, not the device's
                        .requestMatchers(HttpMethod.PATCH, ApiPaths.BASE + "/devices/{" + Audiences.DEVICE_UUID + "}",
                                ApiPaths.BASE + "/devices/{" + Audiences.DEVICE_UUID + "}/")
                        .access(Audiences.OPERATORS)
                        .requestMatchers(ApiPaths.BASE + "/devices/{" + Audiences.DEVICE_UUID + "}",
                                ApiPaths.BASE + "/devices/{" + Audiences.DEVICE_UUID + "}/**")
                        .access(Audiences.OWN_DEVICE)
                        .requestMatchers(ApiPaths.BASE + "/updates/{id}/download", ApiPaths.BASE + "/updates/{id}/status",
                                ApiPaths.BASE + "/updates/{id}/deltas/{base}/download")
                        .access(Audiences.DEVICES)
                        .anyRequest().access(Audiences.OPERATORS));
        return http.build();
    }

    /**
     * No observation of each security filter, authentication and authorization: with an observation registry on the
     * classpath Spring Security wraps every filter of the chain in one; with the per-request event (application.properties)
     * that took a heartbeat from 158 to 249 µs of server CPU (bench/README.md), and nothing exports them. Turn them back on with a metrics backend.
     */
    @Bean
    static SecurityObservationSettings noSecurityObservations() {
        return SecurityObservationSettings.noObservations();
    }

    @Bean
    WebSecurityCustomizer firewall() {
        return web -> web.httpFirewall(new CanonicalFirewall()).requestRejectedHandler((request, response, rejected) ->
                Problems.write(response, HttpStatus.BAD_REQUEST, rejected instanceof CanonicalFirewall.Refused
                        ? rejected.getMessage()
                        : "the request was refused before routing: its path is not in canonical form (no ';', no"
                                + " percent-encoding, no '\\', no '//' or '.' or '..' segments, printable ASCII"
                                + " only); send the plain path, e.g. " + ApiPaths.DEVICES, null));
    }

    private static void unauthorized(HttpServletRequest request, HttpServletResponse response,
            AuthenticationException exception) throws IOException {
        String detail = exception instanceof BadCredentialsException
                ? "the " + ApiPaths.API_KEY_HEADER + " is not a key this server knows; a device whose token was lost"
                        + " registers again with the enrollment key"
                : "this endpoint needs an " + ApiPaths.API_KEY_HEADER + " header: an admin key, the enrollment key"
                        + " (registration only) or the device's token";
        response.setHeader("WWW-Authenticate", "ApiKey header=\"" + ApiPaths.API_KEY_HEADER + "\"");
        Problems.write(response, HttpStatus.UNAUTHORIZED, detail, request.getRequestURI());
    }

    private static void forbidden(HttpServletRequest request, HttpServletResponse response,
            AccessDeniedException exception) throws IOException {
        String detail = exception instanceof AuthorizationDeniedException denied
                && denied.getAuthorizationResult() instanceof Audiences.Refusal refusal
                ? refusal.reason() : "this key may not call this endpoint; use an admin key";
        Problems.write(response, HttpStatus.FORBIDDEN, detail, request.getRequestURI());
    }
}
