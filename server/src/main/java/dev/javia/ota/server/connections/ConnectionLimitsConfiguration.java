package dev.javia.ota.server.connections;

import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Puts Tomcat's connector under the {@link ConnectionSweep}. */
@Configuration(proxyBeanMethods = false)
class ConnectionLimitsConfiguration {

    @Bean
    ConnectionSweep connectionSweep(ConnectionLimits limits) {
        return new ConnectionSweep(limits);
    }

    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> guardedConnector(ConnectionSweep sweep) {
        return factory -> {
            factory.setProtocol(GuardedNioProtocol.class.getName());
            factory.addConnectorCustomizers(connector -> {
                if (connector.getProtocolHandler() instanceof GuardedNioProtocol protocol) {
                    protocol.guardWith(sweep);
                }
            });
            factory.addContextValves(new SlowBodyValve(sweep));
        };
    }
}
