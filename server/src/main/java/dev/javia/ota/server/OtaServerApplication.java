package dev.javia.ota.server;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.annotation.EnableScheduling;

import java.time.Clock;
import java.time.Duration;

@SpringBootApplication
@ConfigurationPropertiesScan
@EnableScheduling
public class OtaServerApplication {

    public static void main(String[] args) {
        SpringApplication.run(OtaServerApplication.class, args);
    }

    /**
     * Every "now" on the server comes from here, so that tests can set the time. It ticks in microseconds, the
     * precision PostgreSQL keeps, so that an answer shows the same instant a later read of the row does.
     */
    @Bean
    Clock clock() {
        return Clock.tick(Clock.systemUTC(), Duration.ofNanos(1_000));
    }
}
