package dev.javia.ota.server.security;

import dev.javia.ota.server.dashboard.DashboardPaths;
import dev.javia.ota.server.dashboard.ErrorPages;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.HttpStatusEntryPoint;
import org.springframework.security.web.authentication.LoginUrlAuthenticationEntryPoint;
import org.springframework.security.web.context.SecurityContextHolderFilter;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.NegatedRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.time.Duration;

/**
 * The operator's dashboard's door, beside the API's ({@link SecurityConfiguration}): every path that is not the
 * API's. An operator signs in once with an admin key into a session (Spring Session, in PostgreSQL: HttpOnly,
 * SameSite=Strict, Secure under TLS, expiring when idle and at a maximum age); every change needs the session's CSRF
 * token; a session ends when its key is no longer configured. The API's chain never reads the session, so the
 * device API cannot be called with the cookie, and this chain never reads {@code X-API-Key}, so no key opens a page
 * without signing in. Pages call the same services as the API, as the same {@link Caller}.
 */
@Configuration(proxyBeanMethods = false)
class DashboardSecurity {

    private static final Logger log = LoggerFactory.getLogger(DashboardSecurity.class);

    /** The API's paths ({@link DashboardPaths#isApi}): the API's chain answers them. */
    static final RequestMatcher API = request ->
            DashboardPaths.isApi(request.getRequestURI().substring(request.getContextPath().length()));

    @Bean
    @Order(1)
    SecurityFilterChain dashboard(HttpSecurity http, ApiKeys keys, ErrorPages pages,
            @Value("${ota.dashboard.session-max-age:12h}") Duration maxAge) {
        http.securityMatcher(new NegatedRequestMatcher(API))
                .httpBasic(AbstractHttpConfigurer::disable)
                .authenticationManager(presented -> keys.signIn((String) presented.getCredentials())
                        .orElseThrow(() -> new BadCredentialsException("not an admin key")))
                .formLogin(form -> form.loginPage(DashboardPaths.SIGN_IN).loginProcessingUrl(DashboardPaths.SIGN_IN)
                        .passwordParameter("key")
                        .successHandler((request, response, authentication) -> {
                            log.info("dashboard sign-in admin={} from={}", authentication.getName(),
                                    request.getRemoteAddr());
                            response.sendRedirect(request.getContextPath() + "/");
                        })
                        .failureHandler((request, response, exception) -> {
                            log.info("refused dashboard sign-in from={}: not an admin key", request.getRemoteAddr());
                            response.sendRedirect(request.getContextPath() + DashboardPaths.SIGN_IN + "?refused");
                        })
                        .permitAll())
                .logout(logout -> logout.logoutUrl(DashboardPaths.SIGN_OUT)
                        .logoutSuccessUrl(DashboardPaths.SIGN_IN + "?signed-out")
                        .deleteCookies(DashboardPaths.SESSION_COOKIE))
                .requestCache(cache -> cache.requestCache(new org.springframework.security.web.savedrequest
                        .NullRequestCache()))
                .sessionManagement(session -> session.sessionFixation(fixation -> fixation.changeSessionId()))
                .headers(headers -> headers
                        .contentSecurityPolicy(csp -> csp.policyDirectives("default-src 'self'; img-src 'self' data:;"
                                + " style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none';"
                                + " frame-ancestors 'none'; form-action 'self'; base-uri 'none'"))
                        .referrerPolicy(referrer -> referrer.policy(ReferrerPolicyHeaderWriter.ReferrerPolicy.SAME_ORIGIN)))
                .exceptionHandling(errors -> errors
                        // a change without the session's CSRF token: the dashboard's 403 page, not the API's problem
                        .accessDeniedHandler((request, response, denied) -> {
                            log.info("refused a dashboard request path={} from={}: {}", request.getRequestURI(),
                                    request.getRemoteAddr(), denied.getClass().getSimpleName());
                            pages.render(request, response, HttpStatus.FORBIDDEN.value(),
                                    ErrorPages.sentence(HttpStatus.FORBIDDEN.value()));
                        })
                        // a stream or a fragment cannot follow a redirect to a page: it is told, and the page reloads
                        .defaultAuthenticationEntryPointFor(new HttpStatusEntryPoint(HttpStatus.UNAUTHORIZED),
                                new OrRequestMatcher(path(DashboardPaths.EVENTS), request ->
                                        request.getHeader("HX-Request") != null))
                        .defaultAuthenticationEntryPointFor(new LoginUrlAuthenticationEntryPoint(DashboardPaths.SIGN_IN),
                                request -> true))
                .addFilterAfter(new SessionCheck(keys, maxAge), SecurityContextHolderFilter.class)
                .authorizeHttpRequests(routes -> routes
                        .dispatcherTypeMatchers(DispatcherType.ERROR, DispatcherType.ASYNC).permitAll()
                        .requestMatchers(DashboardPaths.PUBLIC).permitAll()
                        .anyRequest().access(Audiences.OPERATORS));
        return http.build();
    }

    private static RequestMatcher path(String pattern) {
        return PathPatternRequestMatcher.withDefaults().matcher(pattern);
    }

    /**
     * Ends a session whose admin key is no longer configured (the server restarted without it: sessions live in the
     * database and outlast it), or that is older than its maximum age however active it was.
     */
    private static final class SessionCheck extends OncePerRequestFilter {

        private final ApiKeys keys;
        private final Duration maxAge;

        SessionCheck(ApiKeys keys, Duration maxAge) {
            this.keys = keys;
            this.maxAge = maxAge;
        }

        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
            if (authentication instanceof DashboardAuthentication signedIn) {
                HttpSession session = request.getSession(false);
                boolean tooOld = session != null
                        && System.currentTimeMillis() - session.getCreationTime() > maxAge.toMillis();
                if (tooOld || !keys.isAdminKeyHash(signedIn.keyHash())) {
                    log.info("dashboard session of admin={} ended: {}", signedIn.getName(),
                            tooOld ? "older than " + maxAge : "its admin key is no longer configured");
                    SecurityContextHolder.clearContext();
                    if (session != null) {
                        session.invalidate();
                    }
                }
            }
            chain.doFilter(request, response);
        }
    }
}
