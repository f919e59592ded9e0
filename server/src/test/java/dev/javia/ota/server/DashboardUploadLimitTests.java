package dev.javia.ota.server;

import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.server.testing.DashboardHttp.Session;
import dev.javia.ota.server.testing.HttpApi;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The scheduling form's upload over the package limit: refused with the limit, never a 500, nothing published. */
@TestPropertySource(properties = "ota.max-package-size=1KB")
class DashboardUploadLimitTests extends DashboardPageSupport {

    @Test
    void anOversizedUploadOnTheFormIsRefusedWithTheLimit() {
        Session session = session(ADMIN);
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("_csrf", session.csrf());
        form.put("source", "upload");
        form.put("version", "v1.1.0");
        form.put("update_type", "scheduled");
        form.put("package", samplePackage("v1.1.0", UpdateType.SCHEDULED, null));
        String boundary = "----schedule-" + UUID.randomUUID();

        HttpResponse<String> refused = dashboard.send(dashboard.request("/rollouts/new", session)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(HttpApi.multipartBody(boundary, form))).build());

        assertThat(refused.statusCode()).isEqualTo(413);
        assertThat(refused.body()).contains("larger than the server's limit of 1 KB (OTA_MAX_PACKAGE_SIZE)");
        assertThat(jdbc.queryForObject("select count(*) from updates", Integer.class)).isZero();
    }
}
