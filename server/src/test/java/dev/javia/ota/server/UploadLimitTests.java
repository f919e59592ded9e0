package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@TestPropertySource(properties = "ota.max-package-size=1KB")
class UploadLimitTests extends ApiTestSupport {

    @Test
    void anOversizedUploadIs413WithTheLimit() {
        Map<String, Object> form = form("v1.1.0", "scheduled", null, null);
        form.put("package", samplePackage("v1.1.0", UpdateType.SCHEDULED, null));

        assertProblem(api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form), 413, "limit");
        assertThat(jdbc.queryForObject("select count(*) from updates", Integer.class)).isZero();
    }
}
