package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.Sha256;
import dev.javia.ota.server.testing.HttpApi;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The package download: whole, in ranges (a broken download resumes), and validated by ETag. */
class DownloadTests extends ApiTestSupport {

    private TestDevice device;
    private String updateId;
    private byte[] zip;

    @BeforeEach
    void publishAPackage() throws IOException {
        device = register("UTC");
        Path file = samplePackage("v1.1.0", UpdateType.URGENT, null);
        zip = Files.readAllBytes(file);
        Map<String, Object> form = form("v1.1.0", "urgent", null, null);
        form.put("package", file);
        updateId = api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form).json().get("update").get("id").asText();
    }

    @Test
    void downloadsTheWholePackageWithLengthAndEtag() {
        HttpApi.Response response = api.get(ApiPaths.download(updateId), device.token());

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.bytes()).isEqualTo(zip);
        assertThat(response.header("Content-Length")).isEqualTo(String.valueOf(zip.length));
        assertThat(response.header("Content-Type")).isEqualTo("application/zip");
        assertThat(response.header("ETag")).isEqualTo("\"" + Sha256.of(zip) + "\"");
        assertThat(response.header("Accept-Ranges")).isEqualTo("bytes");
        assertThat(response.header("Content-Disposition")).contains("update_v1.1.0.zip");
    }

    @Test
    void servesTheFirstBytes() {
        HttpApi.Response response = api.get(ApiPaths.download(updateId), device.token(), "Range", "bytes=0-99");

        assertThat(response.status()).isEqualTo(206);
        assertThat(response.bytes()).isEqualTo(Arrays.copyOfRange(zip, 0, 100));
        assertThat(response.header("Content-Range")).isEqualTo("bytes 0-99/" + zip.length);
    }

    @Test
    void resumesFromTheMiddle() {
        int from = zip.length / 2;
        HttpApi.Response response = api.get(ApiPaths.download(updateId), device.token(), "Range", "bytes=" + from + "-");

        assertThat(response.status()).isEqualTo(206);
        assertThat(response.bytes()).isEqualTo(Arrays.copyOfRange(zip, from, zip.length));
        assertThat(response.header("Content-Length")).isEqualTo(String.valueOf(zip.length - from));
    }

    @Test
    void servesASuffix() {
        HttpApi.Response response = api.get(ApiPaths.download(updateId), device.token(), "Range", "bytes=-10");

        assertThat(response.status()).isEqualTo(206);
        assertThat(response.bytes()).isEqualTo(Arrays.copyOfRange(zip, zip.length - 10, zip.length));
    }

    @Test
    void aRangeBeyondTheEndIs416() {
        HttpApi.Response response = api.get(ApiPaths.download(updateId), device.token(), "Range",
                "bytes=" + (zip.length + 10) + "-");

        assertProblem(response, 416, "below " + zip.length);
        assertThat(response.header("Content-Range")).isEqualTo("bytes */" + zip.length);
    }

    @Test
    void anUnreadableRangeIs416WithoutThePackage() {
        HttpApi.Response response = api.get(ApiPaths.download(updateId), device.token(), "Range", "bytes=ten-");

        assertProblem(response, 416, "bytes=N-");
        assertThat(response.bytes().length).isLessThan(zip.length);
    }

    @Test
    void anUnchangedPackageIs304() {
        HttpApi.Response response = api.get(ApiPaths.download(updateId), device.token(), "If-None-Match",
                "\"" + Sha256.of(zip) + "\"");

        assertThat(response.status()).isEqualTo(304);
        assertThat(response.bytes()).isEmpty();
    }

    @Test
    void unknownAndMalformedUpdatesAreClearErrors() {
        assertProblem(api.get(ApiPaths.download("0190f7a4-5b6c-7d8e-9f00-112233445566"), ADMIN), 404, "no update");
        assertProblem(api.get(ApiPaths.download("latest"), ADMIN), 400, "'id' must be a UUID such as");
    }
}
