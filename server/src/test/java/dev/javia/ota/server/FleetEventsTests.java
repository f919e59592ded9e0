package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.events.FleetEvent;
import dev.javia.ota.server.events.FleetEvents;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the V13 triggers tell every instance, as this instance's followers hear it: a change an operator sees names its
 * device or rollout; a heartbeat that changes nothing but the time says nothing; a payload that names no event, from
 * whoever sent it, reaches no follower. Each case ends with a marker of its own, sent after the write: notifications
 * arrive in commit order, so what came before the marker is all the write sent.
 */
class FleetEventsTests extends ApiTestSupport {

    @Autowired
    FleetEvents events;

    private final BlockingQueue<FleetEvent> heard = new LinkedBlockingQueue<>();
    private AutoCloseable following;

    @BeforeEach
    void follow() {
        following = events.follow(heard::add);
    }

    @AfterEach
    void stop() throws Exception {
        following.close();
    }

    @Test
    void aRegistrationAndAReportedVersionNameTheDevice() throws Exception {
        TestDevice device = register("Europe/Berlin");
        assertThat(untilMarker()).contains(new FleetEvent(FleetEvent.Kind.DEVICE, device.uuid()));

        api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("current_version", "v1.0.1"));
        assertThat(untilMarker()).containsExactly(new FleetEvent(FleetEvent.Kind.DEVICE, device.uuid()));
    }

    @Test
    void aHeartbeatThatChangesOnlyTheTimeSaysNothing() throws Exception {
        TestDevice device = register("Europe/Berlin");
        untilMarker();

        assertThat(api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of()).status()).isEqualTo(200);
        assertThat(untilMarker()).isEmpty();
    }

    @Test
    void anUpdateForAFewDevicesNamesEachAndItsRollout() throws Exception {
        TestDevice first = register("Europe/Berlin");
        TestDevice second = register("America/New_York");
        untilMarker();

        published("v1.1.0", "urgent");
        List<FleetEvent> told = untilMarker();
        assertThat(told).contains(new FleetEvent(FleetEvent.Kind.DEVICE, first.uuid()),
                new FleetEvent(FleetEvent.Kind.DEVICE, second.uuid()));
        assertThat(told).anyMatch(event -> event.kind() == FleetEvent.Kind.ROLLOUT);
        assertThat(told).anyMatch(event -> event.kind() == FleetEvent.Kind.UPDATE);
    }

    @Test
    void payloadsThatNameNoEventReachNoFollower() throws Exception {
        for (String payload : List.of("", "resync", "device:'; drop table devices; --", "nonsense:1",
                "device:" + "a".repeat(200), "DEVICE:with space")) {
            jdbc.queryForList("select pg_notify(?, ?)", FleetEvents.CHANNEL, payload);
        }
        assertThat(untilMarker()).isEmpty();
    }

    /** Everything heard before a marker sent now (waits at most 10 s for it). */
    private List<FleetEvent> untilMarker() throws InterruptedException {
        String marker = UUID.randomUUID().toString();
        events.publish(FleetEvent.Kind.WEBHOOK, marker);
        List<FleetEvent> before = new ArrayList<>();
        while (true) {
            FleetEvent event = heard.poll(10, TimeUnit.SECONDS);
            assertThat(event).as("the marker " + marker + " arrives").isNotNull();
            if (event.kind() == FleetEvent.Kind.WEBHOOK && marker.equals(event.id())) {
                return before;
            }
            if (event.kind() != FleetEvent.Kind.RESYNC) {
                before.add(event);
            }
        }
    }
}
