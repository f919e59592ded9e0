package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.PackageJson;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.PackageSignatures;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import dev.javia.ota.protocol.trust.PublisherSignature;
import dev.javia.ota.server.testing.HttpApi;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real server with two trusted publisher keys ({@code OTA_PUBLISHER_KEYS}: the current one and the one it
 * replaces), and so requiring signed packages and signed rollback statements; a third key the server does not
 * know. The test classes that extend this share one server.
 */
abstract class PublisherKeysTestSupport extends ApiTestSupport {

    static final KeyPair PUBLISHER = Ed25519Keys.generate();
    static final KeyPair PREVIOUS_PUBLISHER = Ed25519Keys.generate();
    static final KeyPair STRANGER = Ed25519Keys.generate();

    @DynamicPropertySource
    static void publisherKeys(DynamicPropertyRegistry registry) {
        registry.add("ota.publisher-keys", () -> Ed25519Keys.text(PUBLISHER.getPublic()) + ","
                + Ed25519Keys.text(PREVIOUS_PUBLISHER.getPublic()));
    }

    static String keyId(KeyPair key) {
        return Ed25519Keys.keyId(key.getPublic());
    }

    /** The package's .sig, as create_update --sign-key writes it. */
    static PublisherSignature sign(Path zip, KeyPair key) {
        return PackageSignatures.sign(zip, key.getPrivate(), PackageLimits.defaults());
    }

    static String json(Object value) {
        return PackageJson.mapper().writeValueAsString(value);
    }

    /** Publishes the sample package of {@code version}, signed by {@link #PUBLISHER}; answers the created rollout. */
    String publishSigned(String version, Map<String, String> options) {
        Path zip = samplePackage(version, UpdateType.URGENT, null);
        Map<String, Object> form = form(version, "urgent", null, null);
        form.putAll(options);
        form.put("package", zip);
        form.put("signature", json(sign(zip, PUBLISHER)));
        HttpApi.Response published = api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);
        assertThat(published.status()).as(published.toString()).isEqualTo(201);
        return published.json().get("rollout").get("id").asText();
    }

    long storedFiles() throws IOException {
        if (!Files.exists(properties.storagePath())) {
            return 0;
        }
        try (var files = Files.walk(properties.storagePath())) {
            return files.filter(Files::isRegularFile).count();
        }
    }
}
