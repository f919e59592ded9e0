package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.pkg.HostilePackages;
import dev.javia.ota.server.testing.HttpApi;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hostile-package corpus of the protocol's tests, uploaded through the real API as an admin would: every case is
 * a 400 problem detail that carries the inspector's refusal, and leaves nothing behind, neither a file in the
 * package store (nor an upload scratch file) nor a row.
 */
class HostileUploadTests extends ApiTestSupport {

    static List<HostilePackages.Case> cases() {
        return HostilePackages.cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusesTheUploadAndKeepsNothing(HostilePackages.Case hostile) throws IOException {
        register("UTC");
        Map<String, Object> form = form(HostilePackages.VERSION, "scheduled", null, null);
        Path zip = hostile.writeTo(work);
        form.put("package", zip);

        HttpApi.Response response = api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);

        // an empty file is refused before the inspector sees it, as an empty form part
        assertProblem(response, 400, Files.size(zip) == 0 ? "the form part 'package' must carry the update ZIP"
                : hostile.refusal());
        assertThat(response.json().get("detail").asText()).startsWith(Files.size(zip) == 0 ? "the form part"
                : "the package was refused: ");

        assertThat(jdbc.queryForObject("select count(*) from updates", Integer.class)).isZero();
        assertThat(jdbc.queryForObject("select count(*) from device_updates", Integer.class)).isZero();
        try (var files = Files.walk(properties.storagePath())) {
            assertThat(files.filter(Files::isRegularFile)).isEmpty();
        }
    }
}
