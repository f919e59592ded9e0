package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.testing.DashboardBrowser;
import dev.javia.ota.server.testing.DashboardHttp;
import dev.javia.ota.server.testing.DashboardHttp.Session;
import dev.javia.ota.server.testing.TestDatabaseInitializer;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard's door: sign-in with an admin key into a session, in a real browser and at the HTTP level. Only admin
 * keys sign in; the cookie is HttpOnly and SameSite=Strict; a change without the session's CSRF token is refused;
 * the device API never takes the cookie, and no key opens a page without signing in; a session outlives neither
 * sign-out nor its key, and works on every instance.
 */
class DashboardSignInTests extends DashboardPageSupport {

    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @Test
    void anAdminSignsInAndSeesADeviceRegisterWithoutReloading() {
        DashboardBrowser browser = browser();
        browser.open("/");
        assertThat(browser.driver().getCurrentUrl()).as("a page without a session sends to the sign-in")
                .endsWith("/sign-in");
        browser.screenshot("sign-in");
        browser.signIn(ADMIN);
        browser.until(ExpectedConditions.urlToBe(browser.url("/")));
        browser.until(ExpectedConditions.textToBe(By.id("live"), "Live"));
        assertThat(browser.find(By.cssSelector("[data-testid=device-count]")).getText()).isEqualTo("0");
        assertThat(browser.find(By.cssSelector("header .who")).getText()).as("who is signed in, by the key's name")
                .isEqualTo("admin");

        register("Europe/Berlin");

        browser.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid=device-count]"), "1"));
    }

    @Test
    void keysThatAreNotAdminKeysDoNotSignIn() {
        DashboardBrowser browser = browser();
        TestDevice device = register("Europe/Berlin");
        for (String key : List.of(ENROLLMENT, device.token(), "not-a-key-at-all")) {
            browser.signIn(key);
            browser.until(ExpectedConditions.urlContains("/sign-in?refused"));
            assertThat(browser.find(By.cssSelector("[role=alert]")).getText()).contains("not an admin key");
            browser.open("/");
            assertThat(browser.driver().getCurrentUrl()).endsWith("/sign-in");
        }
    }

    @Test
    void noKeyOpensAPageWithoutSigningIn() throws Exception {
        TestDevice device = register("Europe/Berlin");
        for (String key : List.of(ADMIN, device.token())) {
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(uri("/devices"))
                    .header(ApiPaths.API_KEY_HEADER, key).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(302);
            assertThat(page.headers().firstValue("Location").orElseThrow()).endsWith("/sign-in");
        }
    }

    @Test
    void theSessionCookieIsHttpOnlyAndStrictAndTheApiDoesNotTakeIt() throws Exception {
        Session session = signIn(port, ADMIN);
        assertThat(session.setCookie()).contains("JAVIA_SESSION=").contains("HttpOnly").contains("SameSite=Strict")
                .doesNotContain("Secure");

        assertThat(get(port, "/", session).statusCode()).isEqualTo(200);
        HttpResponse<String> api = http.send(HttpRequest.newBuilder(uri(ApiPaths.DEVICES))
                .header("Cookie", session.cookie()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(api.statusCode()).as("the device API with only the dashboard's cookie").isEqualTo(401);
    }

    @Test
    void aChangeWithoutTheCsrfTokenIsRefusedAndTheSessionStays() throws Exception {
        Session session = signIn(port, ADMIN);

        HttpResponse<String> refused = post(port, "/sign-out", session, Map.of());
        assertThat(refused.statusCode()).isEqualTo(403);
        HttpResponse<String> forged = post(port, "/sign-out", session, Map.of("_csrf", "forged"));
        assertThat(forged.statusCode()).isEqualTo(403);
        assertThat(get(port, "/", session).statusCode()).as("still signed in").isEqualTo(200);

        HttpResponse<String> signedOut = post(port, "/sign-out", session, Map.of("_csrf", session.csrf()));
        assertThat(signedOut.statusCode()).isEqualTo(302);
        assertThat(signedOut.headers().firstValue("Location").orElseThrow()).endsWith("/sign-in?signed-out");
        assertThat(get(port, "/", session).statusCode()).as("signed out").isEqualTo(302);
    }

    @Test
    void aSessionWorksOnEveryInstanceThatHasItsKeyAndEndsWhereTheKeyIsGone() throws Exception {
        Session session = signIn(port, TestDatabaseInitializer.SECOND_ADMIN_KEY);
        try (ConfigurableApplicationContext same = startSecondInstance(Map.of());
             ConfigurableApplicationContext rotated = startSecondInstance(
                     Map.of("ota.admin-api-keys", TestDatabaseInitializer.ADMIN_KEY))) {
            assertThat(get(portOf(same), "/", session).statusCode()).as("another instance, same keys").isEqualTo(200);

            HttpResponse<String> gone = get(portOf(rotated), "/", session);
            assertThat(gone.statusCode()).as("an instance without the session's key").isEqualTo(302);
            assertThat(gone.headers().firstValue("Location").orElseThrow()).endsWith("/sign-in");
            assertThat(get(port, "/", session).statusCode()).as("the session ended for good").isEqualTo(302);
        }
    }

    private static int portOf(ConfigurableApplicationContext context) {
        return ((WebServerApplicationContext) context).getWebServer().getPort();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private Session signIn(int port, String key) {
        return new DashboardHttp(port).signIn(key);
    }

    private HttpResponse<String> get(int port, String path, Session session) {
        return new DashboardHttp(port).get(path, session);
    }

    private HttpResponse<String> post(int port, String path, Session session, Map<String, String> fields) {
        return new DashboardHttp(port).post(path, session, fields);
    }
}
