package dev.javia.ota.agent.transport;

import dev.javia.ota.agent.identity.DeviceIdentity;
import dev.javia.ota.agent.testing.FakeServer;
import dev.javia.ota.protocol.api.Heartbeat;
import dev.javia.ota.protocol.api.RegisterDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** The loop and the heartbeat thread of a running step use one session at once. */
class DeviceSessionConcurrencyTests {

    @Test
    void twoCallsRefusedTogetherRegisterOnceAndBothGetThrough(@TempDir Path dir) throws Exception {
        try (FakeServer server = new FakeServer()) {
            DeviceIdentity identity = DeviceIdentity.load(dir.resolve(".javia_device_uuid"),
                    dir.resolve(".javia_device_token"));
            DeviceSession session = new DeviceSession(new ServerClient(URI.create(server.url()), Duration.ofSeconds(5)),
                    identity, FakeServer.ENROLLMENT_KEY,
                    () -> new RegisterDevice(identity.uuid(), "test-pi", "UTC", "v1.0.0", Map.of()));
            session.ensureRegistered();
            ExecutorService threads = Executors.newFixedThreadPool(2);
            try {
                for (int round = 1; round <= 20; round++) {
                    server.revokeToken();
                    CountDownLatch start = new CountDownLatch(1);
                    List<Future<?>> calls = new ArrayList<>();
                    for (int i = 0; i < 2; i++) {
                        calls.add(threads.submit(() -> {
                            start.await();
                            return session.heartbeat(new Heartbeat("v1.0.0", null, null));
                        }));
                    }
                    start.countDown();
                    for (Future<?> call : calls) {
                        call.get(); // a token replaced by the other thread's registration would fail here with 401
                    }
                    assertThat(server.registrations()).as("round %d", round).isEqualTo(1 + round);
                }
            } finally {
                threads.shutdownNow();
            }
        }
    }
}
