package dev.javia.ota.server;

import dev.javia.ota.server.testing.DashboardBrowser;
import dev.javia.ota.server.testing.DashboardHttp;
import dev.javia.ota.server.testing.DashboardHttp.Session;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * What the dashboard's page tests share: one real browser per test class (started on first use, closed after the
 * class), cleared of cookies and at laptop size before each test, and the dashboard at the HTTP level
 * ({@link #dashboard}) for what a browser cannot show (status codes, refusals without a token).
 */
abstract class DashboardPageSupport extends ApiTestSupport {

    private static DashboardBrowser browser;

    DashboardHttp dashboard;

    @BeforeEach
    void dashboard() {
        dashboard = new DashboardHttp(port);
        if (browser != null) {
            browser.driver().manage().deleteAllCookies();
            browser.size(DashboardBrowser.LAPTOP);
        }
    }

    /** The class's browser, started on first use. */
    DashboardBrowser browser() {
        if (browser == null) {
            browser = new DashboardBrowser("http://127.0.0.1:" + port);
        }
        return browser;
    }

    /** The browser, signed in with {@code key} (an admin's), on the overview. */
    DashboardBrowser signedIn(String key) {
        DashboardBrowser signedIn = browser();
        signedIn.signIn(key);
        signedIn.until(ExpectedConditions.urlToBe(signedIn.url("/")));
        return signedIn;
    }

    /** The browser, signed in with the first admin key, on {@code path}, its stream live. */
    DashboardBrowser openLive(String path) {
        DashboardBrowser signedIn = signedIn(ADMIN);
        signedIn.open(path);
        signedIn.until(ExpectedConditions.textToBe(By.id("live"), "Live"));
        return signedIn;
    }

    /** A session at the HTTP level, signed in with {@code key}. */
    Session session(String key) {
        return dashboard.signIn(key);
    }

    @AfterAll
    static void closeBrowser() {
        if (browser != null) {
            browser.close();
            browser = null;
        }
    }
}
