package dev.javia.ota.server.dashboard;

import java.util.List;
import java.util.Locale;

/** The dashboard's own paths that its door ({@code security/DashboardSecurity}) must know. */
public final class DashboardPaths {

    public static final String SIGN_IN = "/sign-in";
    public static final String SIGN_OUT = "/sign-out";
    /** The live stream of a page (Server-Sent Events): {@link EventStreams}. */
    public static final String EVENTS = "/events";
    /** The scheduling form: it takes a package upload (multipart), as {@code POST /api/v1/updates} does. */
    public static final String NEW_ROLLOUT = "/rollouts/new";
    /** The session's cookie (server.servlet.session.cookie.name). */
    public static final String SESSION_COOKIE = "JAVIA_SESSION";
    /** Open without signing in: the sign-in page and what pages load. */
    public static final String[] PUBLIC = {SIGN_IN, "/assets/**", "/webjars/**", "/favicon.ico"};

    /** The first path segments of the API (and of the API document's); the dashboard has every other path. */
    private static final List<String> API_ROOTS = List.of("api", "actuator", "v3", "swagger-ui", "swagger-ui.html",
            "error");

    /**
     * Whether {@code path} (within the application, from its first slash) is the API's, in any letter case:
     * {@code /API/v1/devices} is the API's to refuse, not a page to sign in for; {@code /error} asked directly, too.
     * The one rule the dashboard's door, the body limits and the error pages share.
     */
    public static boolean isApi(String path) {
        int end = path.indexOf('/', 1);
        String root = (end < 0 ? path.substring(Math.min(1, path.length())) : path.substring(1, end))
                .toLowerCase(Locale.ROOT);
        return API_ROOTS.contains(root);
    }

    private DashboardPaths() {
    }
}
