package dev.javia.ota.server.update;

import dev.javia.ota.server.OtaProperties;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationListener;

/**
 * Refuses to start with a publisher key that does not read, or with signed packages required and no key, and says
 * which variable to set. Registered in {@code META-INF/spring.factories} to run, as the credentials check does,
 * before any bean exists: a server that would refuse every signed upload never starts serving.
 */
final class PublisherTrustCheck implements ApplicationListener<ApplicationPreparedEvent> {

    @Override
    public void onApplicationEvent(ApplicationPreparedEvent event) {
        PublisherTrust.check(Binder.get(event.getApplicationContext().getEnvironment())
                .bindOrCreate("ota", OtaProperties.class));
    }
}
