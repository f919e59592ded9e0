package dev.javia.ota.server;

import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.stereotype.Component;

import java.util.Map;

/**
 * What a client may want to know before it calls: {@code GET /actuator/info} (no key) shows the package size
 * limit, so that the packager refuses an oversized package before uploading it, and the intervals devices use.
 */
@Component
class ServerInfo implements InfoContributor {

    private final OtaProperties properties;

    ServerInfo(OtaProperties properties) {
        this.properties = properties;
    }

    @Override
    public void contribute(Info.Builder builder) {
        builder.withDetail("ota", Map.of(
                "max_package_bytes", properties.maxPackageSize().toBytes(),
                "heartbeat_interval_seconds", properties.heartbeatInterval().toSeconds(),
                "check_interval_seconds", properties.checkInterval().toSeconds()));
    }
}
