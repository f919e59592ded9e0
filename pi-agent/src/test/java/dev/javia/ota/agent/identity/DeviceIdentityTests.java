package dev.javia.ota.agent.identity;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeviceIdentityTests {

    @Test
    void createsAUuid7OnFirstStartAndReusesItAfterwards(@TempDir Path home) throws IOException {
        Path file = home.resolve(".javia_device_uuid");

        String first = DeviceIdentity.load(file, home.resolve(".javia_device_token")).uuid();
        String second = DeviceIdentity.load(file, home.resolve(".javia_device_token")).uuid();

        assertThat(UUID.fromString(first).version()).isEqualTo(7);
        assertThat(second).isEqualTo(first);
        assertThat(Files.readString(file).strip()).isEqualTo(first);
    }

    @Test
    void writesTheUuidAndKeyFilesAtomicallyLeavingNoTemporaryFile(@TempDir Path home) throws IOException {
        DeviceIdentity.load(home.resolve(".javia_device_uuid"), home.resolve(".javia_device_token"));

        try (var files = Files.list(home)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder(".javia_device_uuid", "device-key.pem");
        }
    }

    @Test
    void keepsTheTokenReadableByTheAgentsUserOnly(@TempDir Path home) throws IOException {
        DeviceIdentity identity = DeviceIdentity.load(home.resolve(".javia_device_uuid"),
                home.resolve(".javia_device_token"));
        assertThat(identity.token()).isEmpty();

        identity.saveToken("secret-token");
        identity.saveToken("fresh-token");

        assertThat(identity.token()).contains("fresh-token");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve(".javia_device_token"))))
                .isEqualTo("rw-------");
    }

    @Test
    void refusesAUuidFileThatHoldsSomethingElse(@TempDir Path home) throws IOException {
        Path file = Files.writeString(home.resolve(".javia_device_uuid"), "not-a-uuid\n");

        assertThatThrownBy(() -> DeviceIdentity.load(file, home.resolve(".javia_device_token")))
                .hasMessageContaining(file.toString()).hasMessageContaining("not-a-uuid");
        assertThat(Files.readString(file)).isEqualTo("not-a-uuid\n");
    }
}
