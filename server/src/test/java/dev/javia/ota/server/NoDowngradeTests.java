package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.pkg.Version;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No path offers a device a version at or below the one it runs (issue 12, defect 2): publishing, a device that
 * registers or reports later, and the update check. A device whose version is not a protocol version (v1.2.3) is
 * offered updates as before: there is nothing to compare.
 */
class NoDowngradeTests extends ApiTestSupport {

    @Test
    void publishingSchedulesOnlyDevicesOnAnOlderVersion() {
        TestDevice ahead = register("UTC", "v9.0.0");
        TestDevice same = register("UTC", "v1.8.0");
        TestDevice behind = register("UTC", "v1.0.0");

        assertThat(publish("v1.8.0", "urgent").json().get("scheduled_devices").asInt()).isEqualTo(1);

        assertThat(offered(ahead)).isNull();
        assertThat(offered(same)).isNull();
        assertThat(offered(behind)).isEqualTo("v1.8.0");
    }

    @Test
    void aDeviceThatRegistersLaterOnANewerVersionIsOfferedNothing() {
        published("v1.8.0", "urgent");

        TestDevice ahead = register("UTC", "v9.0.0");

        assertThat(offered(ahead)).isNull();
    }

    @Test
    void aDeviceThatReportsANewerVersionLaterIsOfferedNothing() {
        TestDevice device = register("UTC", "v1.0.0");
        published("v1.8.0", "urgent");
        assertThat(offered(device)).isEqualTo("v1.8.0");

        api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("current_version", "v9.0.0"));

        assertThat(offered(device)).isNull();
    }

    @Test
    void theCheckOffersNothingAtOrBelowTheRunningVersion() {
        TestDevice device = register("UTC", "v1.0.0");
        published("v1.8.0", "urgent");
        // changed where no scheduler sees it, as an operator's SQL would
        jdbc.update("update devices set current_version = 'v9.0.0' where device_uuid = ?", device.uuid());

        assertThat(offered(device)).isNull();
        assertThat(api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of()).json()
                .get("update_check").get("update_available").asBoolean()).isFalse();
    }

    @Test
    void aDeviceWhoseVersionDoesNotParseIsOfferedTheUpdateAsBefore() {
        TestDevice custom = register("UTC", "2024.06-nightly");

        assertThat(publish("v1.8.0", "urgent").json().get("scheduled_devices").asInt()).isEqualTo(1);

        assertThat(offered(custom)).isEqualTo("v1.8.0");
    }

    @Test
    void theDatabaseReadsVersionsAsTheProtocolDoes() {
        for (String text : new String[] {"v1.2.3", "v0.0.0", "v999999999.1.0", "v1000000000.0.0", "v01.2.3", "1.2.3",
                "V1.2.3", "v1.2", "v1.2.3-rc1", " v1.2.3", "v1.2.3\n", "v1.2.3.4", "2024.06-nightly"}) {
            Integer[] key = jdbc.queryForObject("select ota_version_key(?)",
                    (rs, row) -> rs.getArray(1) == null ? null : (Integer[]) rs.getArray(1).getArray(), text);
            assertThat(key).as(text).isEqualTo(Version.tryParse(text)
                    .map(version -> new Integer[] {version.major(), version.minor(), version.patch()}).orElse(null));
        }
    }

    /** The version the update check offers the device, or null. */
    private String offered(TestDevice device) {
        var check = api.get(ApiPaths.check(device.uuid()), device.token()).json();
        return check.get("update_available").asBoolean() ? check.get("update").get("version").asText() : null;
    }
}
