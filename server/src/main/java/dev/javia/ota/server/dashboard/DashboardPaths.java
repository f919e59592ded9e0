package dev.javia.ota.server.dashboard;

/** The dashboard's own paths that its door ({@code security/DashboardSecurity}) must know. */
public final class DashboardPaths {

    public static final String SIGN_IN = "/sign-in";
    public static final String SIGN_OUT = "/sign-out";
    /** The live stream of a page (Server-Sent Events): {@link EventStreams}. */
    public static final String EVENTS = "/events";
    /** The session's cookie (server.servlet.session.cookie.name). */
    public static final String SESSION_COOKIE = "JAVIA_SESSION";
    /** Open without signing in: the sign-in page and what pages load. */
    public static final String[] PUBLIC = {SIGN_IN, "/assets/**", "/webjars/**", "/favicon.ico"};

    private DashboardPaths() {
    }
}
