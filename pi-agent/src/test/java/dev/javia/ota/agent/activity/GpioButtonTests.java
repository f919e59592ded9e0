package dev.javia.ota.agent.activity;

import com.pi4j.Pi4J;
import com.pi4j.context.Context;
import com.pi4j.io.gpio.digital.DigitalState;
import com.pi4j.plugin.mock.provider.gpio.digital.MockDigitalInput;
import com.pi4j.plugin.mock.provider.gpio.digital.MockDigitalInputProvider;
import dev.javia.ota.agent.testing.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class GpioButtonTests {

    private final MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
    private final ActivityTracker tracker = new ActivityTracker(clock::nanoTime, Duration.ofMinutes(30));

    @Test
    void aPressOfTheButtonResetsIdleness() {
        Context pi4j = Pi4J.newContextBuilder().add(MockDigitalInputProvider.newInstance()).build();
        Optional<GpioButton> opened = GpioButton.open(pi4j, 17, Duration.ofMillis(30), tracker);
        assertThat(opened).isPresent();
        try (GpioButton button = opened.get()) {
            MockDigitalInput input = (MockDigitalInput) button.input();
            input.mockState(DigitalState.HIGH); // released: the pull-up holds the pin high
            clock.advance(Duration.ofMinutes(90));
            assertThat(tracker.idleFor()).isEqualTo(Duration.ofMinutes(90));

            input.mockState(DigitalState.LOW); // pressed: shorted to ground
            input.mockState(DigitalState.HIGH);

            assertThat(tracker.idleFor()).isZero();
            assertThat(tracker.lastSource()).isEqualTo("button");
        }
    }

    @Test
    void withoutGpioTheAgentRunsOnWithoutTheButton() {
        Context noGpio = Pi4J.newContextBuilder().build(); // no digital input provider, as on a laptop

        assertThat(GpioButton.open(noGpio, 17, Duration.ofMillis(30), tracker)).isEmpty();
    }
}
