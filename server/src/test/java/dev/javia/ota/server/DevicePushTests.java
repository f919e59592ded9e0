package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.update.DeviceWaits;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.TestPropertySource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Push to devices: a device's long poll ({@code GET /api/v1/devices/{uuid}/wait?cursor=}) is answered "check now" at
 * once when something changed since its check's cursor, or as soon as a change for it is heard from any instance
 * (NOTIFY), else "nothing" after the hold; one per device, a bounded number per instance.
 */
@TestPropertySource(properties = {"ota.push.hold=2s", "ota.push.max-waits=3"})
class DevicePushTests extends ApiTestSupport {

    @Autowired
    DeviceWaits waits;

    @BeforeEach
    void noWaitLeftFromAnotherTest() {
        awaitHeld(waits::held, 0);
    }

    @Test
    void aWaitIsAnsweredAtOnceWhenSomethingIsPendingSinceTheCheck() {
        TestDevice device = register("Europe/Berlin");
        String before = cursor(device);
        published("v1.1.0", "urgent");

        HttpApi.Response woken = waitOn(api, device, before);

        assertThat(woken.status()).as(woken.toString()).isEqualTo(200);
        assertThat(woken.json().get("check_now").asBoolean()).isTrue();
        String after = cursor(device);
        assertThat(after).isNotEqualTo(before);
        assertThat(woken.json().get("cursor").asText()).isEqualTo(after);
    }

    @Test
    void aWaitWithNothingNewEndsAfterTheHoldWithTheSameCursor() {
        TestDevice device = register("Europe/Berlin");
        String cursor = cursor(device);

        HttpApi.Response nothing = waitOn(api, device, cursor);

        assertThat(nothing.status()).as(nothing.toString()).isEqualTo(200);
        assertThat(nothing.json().get("check_now").asBoolean()).isFalse();
        assertThat(nothing.json().get("cursor").asText()).isEqualTo(cursor);
        assertThat(nothing.json().get("wait_again_seconds").asInt()).isZero();
    }

    @Test
    void aHeldWaitIsWokenByAPublishToItsDevice() {
        TestDevice device = register("Europe/Berlin");
        TestDevice other = register("Europe/Berlin");
        String cursor = cursor(device);
        CompletableFuture<HttpApi.Response> waiting = CompletableFuture.supplyAsync(() -> waitOn(api, device, cursor));
        CompletableFuture<HttpApi.Response> otherWaiting = CompletableFuture.supplyAsync(
                () -> waitOn(api, other, cursor(other)));
        awaitHeld(waits::held, 2);

        publish("v1.1.0", "urgent", null, device.uuid());

        HttpApi.Response woken = waiting.join();
        assertThat(woken.json().get("check_now").asBoolean()).as(woken.toString()).isTrue();
        assertThat(api.get(ApiPaths.check(device.uuid()), device.token()).json().get("update").get("version")
                .asText()).isEqualTo("v1.1.0");
        assertThat(otherWaiting.join().json().get("check_now").asBoolean()).as("a device the update is not for")
                .isFalse();
    }

    @Test
    void aHeldWaitIsWokenWhenItsRolloutResumes() {
        TestDevice device = register("Europe/Berlin");
        HttpApi.Response created = publish("v1.1.0", "urgent", null, device.uuid());
        String rollout = created.json().get("rollout").get("id").asText();
        HttpApi.Response paused = api.post(ApiPaths.rolloutAction(rollout, "pause"), ADMIN,
                Map.of("reason", "a look at the first devices"));
        assertThat(paused.status()).as(paused.toString()).isEqualTo(200);
        String cursor = cursor(device);
        assertThat(api.get(ApiPaths.check(device.uuid()), device.token()).json().get("update_available")
                .asBoolean()).as("nothing offered while paused").isFalse();
        CompletableFuture<HttpApi.Response> waiting = CompletableFuture.supplyAsync(() -> waitOn(api, device, cursor));
        awaitHeld(waits::held, 1);

        HttpApi.Response resumed = api.post(ApiPaths.rolloutAction(rollout, "resume"), ADMIN, Map.of());
        assertThat(resumed.status()).as(resumed.toString()).isEqualTo(200);

        assertThat(waiting.join().json().get("check_now").asBoolean()).isTrue();
        assertThat(api.get(ApiPaths.check(device.uuid()), device.token()).json().get("update_available")
                .asBoolean()).isTrue();
    }

    /** Behind a load balancer: the wait is held by B, the update published through A; their only link is NOTIFY. */
    @Test
    void aWaitOnAnotherInstanceIsWokenByAPublishThroughThisOne() {
        TestDevice device = register("Europe/Berlin");
        String cursor = cursor(device);
        try (ConfigurableApplicationContext b = startSecondInstance(Map.of("ota.push.hold", "5s"))) {
            HttpApi instanceB = new HttpApi("http://127.0.0.1:"
                    + ((WebServerApplicationContext) b).getWebServer().getPort());
            DeviceWaits waitsOfB = b.getBean(DeviceWaits.class);
            CompletableFuture<HttpApi.Response> waiting = CompletableFuture.supplyAsync(
                    () -> waitOn(instanceB, device, cursor));
            awaitHeld(waitsOfB::held, 1);

            publish("v1.1.0", "urgent", null, device.uuid());

            HttpApi.Response woken = waiting.join();
            assertThat(woken.json().get("check_now").asBoolean()).as(woken.toString()).isTrue();
        }
    }

    @Test
    void aSecondWaitOfTheSameDeviceEndsTheFirst() {
        TestDevice device = register("Europe/Berlin");
        String cursor = cursor(device);
        CompletableFuture<HttpApi.Response> first = CompletableFuture.supplyAsync(() -> waitOn(api, device, cursor));
        awaitHeld(waits::held, 1);
        CompletableFuture<HttpApi.Response> second = CompletableFuture.supplyAsync(() -> waitOn(api, device, cursor));

        HttpApi.Response ended = first.join();
        assertThat(ended.json().get("check_now").asBoolean()).as(ended.toString()).isFalse();
        assertThat(waits.held()).isEqualTo(1);
        assertThat(second.join().status()).isEqualTo(200);
    }

    @Test
    void pastTheMostWaitsAnotherDeviceIsToldToComeBackLater() {
        List<CompletableFuture<HttpApi.Response>> held = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            TestDevice device = register("Europe/Berlin");
            String cursor = cursor(device);
            held.add(CompletableFuture.supplyAsync(() -> waitOn(api, device, cursor)));
        }
        awaitHeld(waits::held, 3);
        TestDevice fourth = register("Europe/Berlin");

        HttpApi.Response refused = waitOn(api, fourth, cursor(fourth));

        assertProblem(refused, 503, "ota.push.max-waits");
        assertThat(refused.header("Retry-After")).isEqualTo("60");
        assertThat(api.get(ApiPaths.check(fourth.uuid()), fourth.token()).status()).as("it still polls")
                .isEqualTo(200);
        held.forEach(wait -> assertThat(wait.join().status()).isEqualTo(200));
    }

    @Test
    void aWaitIsRefusedToAnotherDevicesTokenAndWithoutAGoodCursor() {
        TestDevice device = register("Europe/Berlin");
        TestDevice other = register("Europe/Berlin");
        String cursor = cursor(device);

        assertProblem(waitOn(api, new TestDevice(device.uuid(), other.token()), cursor), 403, "belongs to device");
        assertThat(api.get(ApiPaths.deviceWait(device.uuid()) + "?cursor=" + cursor, null).status()).isEqualTo(401);
        assertProblem(waitOn(api, device, "not-a-cursor"), 400, "push_cursor");
        assertProblem(api.get(ApiPaths.deviceWait(device.uuid()), device.token()), 400, "push_cursor");
        assertProblem(waitOn(api, device, "0123456789abcdef0"), 400, "push_cursor");
        assertThat(waits.held()).isZero();
    }

    /** The push cursor of the device's check, as its agent reads it. */
    private String cursor(TestDevice device) {
        HttpApi.Response check = api.get(ApiPaths.check(device.uuid()), device.token());
        assertThat(check.status()).as(check.toString()).isEqualTo(200);
        String cursor = check.json().get("push_cursor").asText();
        assertThat(cursor).matches("[0-9a-f]{16}");
        return cursor;
    }

    private static HttpApi.Response waitOn(HttpApi on, TestDevice device, String cursor) {
        return on.get(ApiPaths.deviceWait(device.uuid()) + "?cursor=" + cursor, device.token());
    }

    private static void awaitHeld(IntSupplier held, int count) {
        await("waits held: " + count).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> held.getAsInt() == count);
    }
}
