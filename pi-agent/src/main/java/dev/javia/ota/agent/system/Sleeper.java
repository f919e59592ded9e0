package dev.javia.ota.agent.system;

import java.time.Duration;

/** Waits between retries. Tests pass one that moves a clock instead of waiting. */
@FunctionalInterface
public interface Sleeper {

    Sleeper REAL = duration -> Thread.sleep(duration.toMillis());

    void sleep(Duration duration) throws InterruptedException;
}
