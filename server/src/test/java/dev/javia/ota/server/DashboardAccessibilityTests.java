package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.testing.DashboardBrowser;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every page of the dashboard, in a real browser, against the house rules for people who do not use a mouse or do
 * not see the screen: each form control has a label, each button and link a name, one h1 and one main landmark,
 * images and drawings a text or aria-hidden; Tab reaches the skip link first and then every link of the menu, and the
 * skip link leads into #main; the layout holds at 1400 and 390 pixels. The checks are scripts run in the page, so a
 * new page only needs its row in {@link #PAGES}.
 */
class DashboardAccessibilityTests extends DashboardPageSupport {

    /** A page to check, by name, and its path once the fixture exists (for pages of one device, one rollout...). */
    record Page(String name, Function<Fixture, String> path) {

        @Override
        public String toString() {
            return name;
        }
    }

    /** What the pages show: one of each thing, made before every test. */
    record Fixture(TestDevice device, String webhookId, String rolloutId) {
    }

    /** Add a row for each new page. */
    static final List<Page> PAGES = List.of(
            new Page("overview", fixture -> "/"),
            new Page("devices", fixture -> "/devices"),
            new Page("device", fixture -> "/devices/" + fixture.device().uuid()),
            new Page("rollouts", fixture -> "/rollouts"),
            new Page("rollout", fixture -> "/rollouts/" + fixture.rolloutId()),
            new Page("new rollout", fixture -> "/rollouts/new"),
            new Page("webhooks", fixture -> "/webhooks"),
            new Page("webhook", fixture -> "/webhooks/" + fixture.webhookId()),
            new Page("audit log", fixture -> "/audit"),
            new Page("error page", fixture -> "/no-such-page"));

    /**
     * What breaks the rules on the page, one line each: labels, names, headings, landmarks, images. A control is
     * labelled by a label[for], a wrapping label, aria-label or aria-labelledby.
     */
    static final String PROBLEMS = """
            const problems = [];
            const text = el => (el.textContent || '').replace(/\\s+/g, ' ').trim();
            const attr = (el, name) => (el.getAttribute(name) || '').trim();
            const byIds = ids => ids.split(/\\s+/).map(id => document.getElementById(id)).filter(Boolean)
                .map(text).join(' ').trim();
            const shown = el => el.outerHTML.replace(/\\s+/g, ' ').slice(0, 160);
            const hidden = el => el.closest('[aria-hidden="true"]') !== null;
            document.querySelectorAll('input, select, textarea').forEach(el => {
              const type = attr(el, 'type').toLowerCase();
              if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) return;
              const labelled = (el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]'))
                  || el.closest('label') || attr(el, 'aria-label')
                  || (attr(el, 'aria-labelledby') && byIds(attr(el, 'aria-labelledby')));
              if (!labelled) problems.push('a form control without a label: ' + shown(el));
            });
            document.querySelectorAll('label[for]').forEach(el => {
              if (!document.getElementById(el.getAttribute('for')))
                problems.push('a label for nothing on the page: ' + shown(el));
            });
            document.querySelectorAll('button, input[type=submit], input[type=button], input[type=reset], [role=button]')
                .forEach(el => {
              const name = text(el) || attr(el, 'aria-label') || attr(el, 'title')
                  || (attr(el, 'aria-labelledby') && byIds(attr(el, 'aria-labelledby')))
                  || (el.tagName === 'INPUT' && (el.value || '').trim());
              if (!name) problems.push('a button without an accessible name: ' + shown(el));
            });
            document.querySelectorAll('a[href]').forEach(el => {
              if (hidden(el)) return;
              const name = text(el) || attr(el, 'aria-label') || attr(el, 'title')
                  || Array.from(el.querySelectorAll('img[alt]')).map(img => attr(img, 'alt')).join('');
              if (!name) problems.push('a link without an accessible name: ' + shown(el));
            });
            const h1 = document.querySelectorAll('h1').length;
            if (h1 !== 1) problems.push('not exactly one h1 but ' + h1);
            const mains = document.querySelectorAll('main, [role=main]');
            if (mains.length !== 1) problems.push('not exactly one main landmark but ' + mains.length);
            else if (mains[0].id !== 'main') problems.push('the main landmark is not #main: ' + shown(mains[0]));
            document.querySelectorAll('img').forEach(el => {
              if (!el.hasAttribute('alt') && !attr(el, 'aria-label') && !hidden(el))
                problems.push('an image without alt: ' + shown(el));
            });
            document.querySelectorAll('svg').forEach(el => {
              if (hidden(el) || attr(el, 'aria-label') || attr(el, 'aria-labelledby') || el.querySelector('title'))
                return;
              problems.push('a drawing (svg) without a name or aria-hidden: ' + shown(el));
            });
            return problems;
            """;

    private Fixture fixture;

    static List<Page> pages() {
        return PAGES;
    }

    @BeforeEach
    void oneOfEach() {
        TestDevice device = register("Europe/Berlin");
        String webhook = api.post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", "https://93.184.215.14/hooks/ota",
                "description", "ops channel")).json().get("webhook").get("id").asString();
        String rollout = publish("v1.1.0", "urgent").json().get("rollout").get("id").asText();
        fixture = new Fixture(device, webhook, rollout);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pages")
    void everyControlIsLabelledEveryButtonNamedOneHeadingOneMainAndImagesDescribed(Page page) {
        DashboardBrowser browser = open(page);

        assertThat(problems(browser)).as(page.name()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pages")
    void tabReachesTheSkipLinkThenTheMenuAndTheSkipLinkLeadsIntoMain(Page page) {
        DashboardBrowser browser = open(page);
        assertThat(tabOrderProblems(browser)).as(page.name()).isEmpty();

        browser.open(page.path().apply(fixture));
        assertThat(skipLinkProblems(browser)).as(page.name()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pages")
    void theLayoutHoldsOnALaptopAndAPhone(Page page) {
        DashboardBrowser browser = open(page);
        assertThat(browser.fitsTheWindow()).as(page.name() + " at 1400 px").isTrue();

        browser.size(DashboardBrowser.PHONE);
        browser.open(page.path().apply(fixture));
        assertThat(browser.fitsTheWindow()).as(page.name() + " at 390 px").isTrue();
    }

    private DashboardBrowser open(Page page) {
        DashboardBrowser browser = signedIn(ADMIN);
        browser.open(page.path().apply(fixture));
        browser.until(ExpectedConditions.presenceOfElementLocated(By.id("main")));
        return browser;
    }

    static Object script(DashboardBrowser browser, String script) {
        return ((JavascriptExecutor) browser.driver()).executeScript(script);
    }

    @SuppressWarnings("unchecked")
    static List<String> problems(DashboardBrowser browser) {
        return (List<String>) script(browser, PROBLEMS);
    }

    /** Walks a freshly loaded page with Tab: the first stop is the skip link, the menu's links all come after. */
    static List<String> tabOrderProblems(DashboardBrowser browser) {
        List<String> problems = new ArrayList<>();
        @SuppressWarnings("unchecked")
        List<String> menu = (List<String>) script(browser,
                "return Array.from(document.querySelectorAll('header nav a[href]')).map(a => a.href);");
        if (menu.isEmpty()) {
            problems.add("no links in the header's navigation");
        }
        Actions keys = new Actions(browser.driver());
        keys.sendKeys(Keys.TAB).perform();
        WebElement first = browser.driver().switchTo().activeElement();
        String firstHref = first.getDomAttribute("href");
        if (!"#main".equals(firstHref)) {
            problems.add("the first Tab does not reach the skip link to #main but " + first.getTagName() + " "
                    + firstHref + " '" + first.getText() + "'");
        }
        Set<String> reached = new LinkedHashSet<>();
        for (int i = 0; i < menu.size() + 10 && !reached.containsAll(menu); i++) {
            keys.sendKeys(Keys.TAB).perform();
            String href = browser.driver().switchTo().activeElement().getDomProperty("href");
            if (href != null) {
                reached.add(href);
            }
        }
        List<String> missed = menu.stream().filter(link -> !reached.contains(link)).toList();
        if (!missed.isEmpty()) {
            problems.add("Tab does not reach the menu's links " + missed);
        }
        return problems;
    }

    /**
     * On a freshly loaded page, Tab then Enter follows the skip link to #main, and the next Tab lands inside it when
     * it holds anything to focus.
     */
    static List<String> skipLinkProblems(DashboardBrowser browser) {
        List<String> problems = new ArrayList<>();
        Actions keys = new Actions(browser.driver());
        keys.sendKeys(Keys.TAB).perform();
        keys.sendKeys(Keys.ENTER).perform();
        Object hash = script(browser, "return location.hash;");
        if (!"#main".equals(hash)) {
            problems.add("Enter on the first Tab stop does not go to #main (the address ends in '" + hash + "')");
        }
        Boolean focusable = (Boolean) script(browser, "return document.querySelector('#main') !== null"
                + " && document.querySelector('#main').querySelector("
                + "'a[href], button, input:not([type=hidden]), select, textarea, summary') !== null;");
        if (Boolean.TRUE.equals(focusable)) {
            keys.sendKeys(Keys.TAB).perform();
            Boolean inMain = (Boolean) script(browser,
                    "return document.querySelector('#main').contains(document.activeElement);");
            if (!Boolean.TRUE.equals(inMain)) {
                problems.add("after the skip link, Tab does not continue inside #main");
            }
        }
        return problems;
    }
}
