package dev.javia.ota.server.testing;

import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedCondition;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

/**
 * A real browser for the dashboard's tests: Debian's headless Chromium driven through its matching chromedriver
 * (both installed by .ci/run; Selenium Manager is never asked to download one). Screenshots go to
 * {@code target/screenshots/NAME.png}, where docs/dashboard.md takes its pictures from.
 */
public final class DashboardBrowser implements AutoCloseable {

    public static final Dimension LAPTOP = new Dimension(1400, 900);
    public static final Dimension PHONE = new Dimension(390, 844);
    /** How long a wait for something the page shows lasts at most; a pass takes as long as the page needs. */
    public static final Duration PATIENCE = Duration.ofSeconds(10);

    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private final ChromeDriver driver;
    private final String baseUrl;

    public DashboardBrowser(String baseUrl) {
        this.baseUrl = baseUrl;
        ChromeOptions options = new ChromeOptions();
        options.setBinary(binary("OTA_TEST_CHROMIUM", "/usr/bin/chromium"));
        // as root in a container Chromium needs --no-sandbox; the rest keeps it off the (closed) network
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--lang=en-US", "--force-device-scale-factor=1",
                "--window-size=" + LAPTOP.width + "," + LAPTOP.height);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(binary("OTA_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")))
                .usingAnyFreePort().build();
        this.driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    }

    private static String binary(String variable, String fallback) {
        String configured = System.getenv(variable);
        String path = configured == null || configured.isBlank() ? fallback : configured;
        if (!Files.isExecutable(Path.of(path))) {
            throw new IllegalStateException(path + " is not installed: the dashboard's browser tests need Debian's"
                    + " chromium and chromium-driver (apt-get install chromium chromium-driver; .ci/run does it)");
        }
        return path;
    }

    public WebDriver driver() {
        return driver;
    }

    public String url(String path) {
        return baseUrl + path;
    }

    public void open(String path) {
        driver.get(url(path));
    }

    /** Signs in through the sign-in page with {@code key}; lands on the overview when the key is an admin's. */
    public void signIn(String key) {
        open("/sign-in");
        WebElement field = driver.findElement(By.id("key"));
        field.clear();
        field.sendKeys(key);
        driver.findElement(By.cssSelector("form button[type=submit]")).click();
    }

    public void size(Dimension size) {
        driver.manage().window().setSize(size);
    }

    public WebElement find(By by) {
        return driver.findElement(by);
    }

    /**
     * Waits until {@code condition} holds (at most {@link #PATIENCE}), polling every 50 ms. A live page swaps its
     * sections while it is read: an element found just before its section was replaced is looked for again.
     */
    public <T> T until(ExpectedCondition<T> condition) {
        return new WebDriverWait(driver, PATIENCE, Duration.ofMillis(50))
                .ignoring(StaleElementReferenceException.class).until(condition);
    }

    /** Saves what the browser shows as {@code target/screenshots/NAME.png}. */
    public Path screenshot(String name) {
        try {
            Files.createDirectories(SCREENSHOTS);
            File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
            Path target = SCREENSHOTS.resolve(name + ".png");
            Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("could not save the screenshot " + name, e);
        }
    }

    /** Whether the page is no wider than the window: nothing scrolls sideways but the tables meant to. */
    public boolean fitsTheWindow() {
        Object fits = driver.executeScript(
                "return document.documentElement.scrollWidth <= window.innerWidth + 1;");
        return Boolean.TRUE.equals(fits);
    }

    @Override
    public void close() {
        driver.quit();
    }
}
