package dev.javia.ota.agent.activity;

import com.pi4j.context.Context;
import com.pi4j.io.gpio.digital.DigitalInput;
import com.pi4j.io.gpio.digital.DigitalState;
import com.pi4j.io.gpio.digital.PullResistance;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The assistant's push button on a BCM pin, wired to ground with the internal pull-up: pressed reads LOW. Each
 * press is activity. Pi4J's context is given, so the agent passes the gpiod provider and the tests the mock one.
 */
public final class GpioButton implements AutoCloseable {

    static final String SOURCE = "button";
    private static final Logger LOG = Logger.getLogger(GpioButton.class.getName());

    private final Context context;
    private final DigitalInput input;

    private GpioButton(Context context, DigitalInput input) {
        this.context = context;
        this.input = input;
    }

    /**
     * Listens to the button on {@code bcmPin}. On a machine without GPIO (no chip, no permission) the agent runs
     * on without the button and says so once, here; the other activity sources still count.
     */
    public static Optional<GpioButton> open(Context context, int bcmPin, Duration debounce, ActivityTracker tracker) {
        try {
            DigitalInput input = context.create(DigitalInput.newConfigBuilder(context)
                    .id("javia-button-" + bcmPin)
                    .name("assistant button")
                    .address(bcmPin)
                    .pull(PullResistance.PULL_UP)
                    .debounce(debounce.toMillis(), TimeUnit.MILLISECONDS));
            input.addListener(event -> {
                if (event.state() == DigitalState.LOW) {
                    tracker.activity(SOURCE);
                }
            });
            LOG.info("watching the button on BCM pin " + bcmPin);
            return Optional.of(new GpioButton(context, input));
        } catch (RuntimeException | LinkageError e) {
            LOG.warning("no GPIO on this machine (" + e.getMessage() + "): running without the button on BCM pin "
                    + bcmPin + "; audio and app sessions still count as activity");
            shutdownQuietly(context);
            return Optional.empty();
        }
    }

    public DigitalInput input() {
        return input;
    }

    @Override
    public void close() {
        shutdownQuietly(context);
    }

    private static void shutdownQuietly(Context context) {
        try {
            context.shutdown();
        } catch (RuntimeException e) {
            LOG.fine("GPIO shutdown: " + e.getMessage());
        }
    }
}
