package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.PackageBuilder;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.protocol.trust.PublisherSignature;
import dev.javia.ota.server.testing.HttpApi;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Uploads to a server with publisher keys: a package signed by one of them is published and its signature goes out
 * with every offer; every other upload (unsigned, by another key, tampered, a signature that is not one, signed
 * metadata with another update's file) is refused with a 400 that says what to do, and nothing is stored.
 */
class SignedUploadTests extends PublisherKeysTestSupport {

    @Test
    void aSignedPackageIsPublishedAndEveryOfferCarriesItsSignature() {
        TestDevice device = register("UTC");
        Path zip = samplePackage("v1.1.0", UpdateType.URGENT, null);
        PublisherSignature signature = sign(zip, PUBLISHER);

        HttpApi.Response published = upload(zip, "v1.1.0", json(signature));

        assertThat(published.status()).as(published.toString()).isEqualTo(201);
        assertThat(published.json().get("update").get("signed_by").asText()).isEqualTo(keyId(PUBLISHER));
        JsonNode offer = api.get(ApiPaths.check(device.uuid()), device.token()).json().get("update");
        assertThat(offer.get("signature").get("key_id").asText()).isEqualTo(signature.keyId());
        assertThat(offer.get("signature").get("signature").asText()).isEqualTo(signature.signature());
        assertThat(offer.get("rollback_statement").isNull()).as("no statement on a plain offer").isTrue();
        String id = published.json().get("update").get("id").asText();
        assertThat(api.get(ApiPaths.update(id), ADMIN).json().get("signed_by").asText()).isEqualTo(keyId(PUBLISHER));
        JsonNode audit = api.get(ApiPaths.AUDIT + "?action=update.published&target_id=" + id, ADMIN).json();
        assertThat(audit.get("entries").get(0).get("details").get("signed_by").asText()).isEqualTo(keyId(PUBLISHER));
    }

    @Test
    void aPackageSignedByAnyTrustedKeyIsPublishedAndTheSigFileMayComeAsAFilePart() throws IOException {
        TestDevice device = register("UTC");
        Path zip = samplePackage("v1.1.0", UpdateType.URGENT, null);
        Path sig = Files.writeString(zip.resolveSibling("update_v1.1.0.zip.sig"), json(sign(zip, PREVIOUS_PUBLISHER)));
        Map<String, Object> form = form("v1.1.0", "urgent", null, null);
        form.put("package", zip);
        form.put("signature", sig);

        HttpApi.Response published = api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);

        assertThat(published.status()).as(published.toString()).isEqualTo(201);
        JsonNode offer = api.get(ApiPaths.check(device.uuid()), device.token()).json().get("update");
        assertThat(offer.get("signature").get("key_id").asText()).isEqualTo(keyId(PREVIOUS_PUBLISHER));
    }

    @Test
    void anUnsignedPackageIsRefusedWhileSignaturesAreRequired() throws IOException {
        Path zip = samplePackage("v1.1.0", UpdateType.URGENT, null);
        assertRefused(upload(zip, "v1.1.0", null), "package v1.1.0 is not signed");
        assertRefused(upload(zip, "v1.1.0", " "), "sign it with create_update --sign-key");
    }

    @Test
    void aGoodSignatureByAKeyTheServerDoesNotTrustIsRefused() throws IOException {
        Path zip = samplePackage("v1.1.0", UpdateType.URGENT, null);
        assertRefused(upload(zip, "v1.1.0", json(sign(zip, STRANGER))),
                "signed by key '" + keyId(STRANGER) + "', which is not one of the trusted publisher keys");
    }

    @Test
    void aTamperedSignatureIsRefused() throws IOException {
        Path zip = samplePackage("v1.1.0", UpdateType.URGENT, null);
        PublisherSignature good = sign(zip, PUBLISHER);
        byte[] bytes = Base64.getDecoder().decode(good.signature());
        bytes[10] ^= 0x01;
        PublisherSignature tampered = new PublisherSignature(good.keyId(), Base64.getEncoder().encodeToString(bytes));
        assertRefused(upload(zip, "v1.1.0", json(tampered)), "does not verify");
        // a signature that is not Base64 at all, by a trusted key
        assertRefused(upload(zip, "v1.1.0", json(new PublisherSignature(good.keyId(), "not base64!"))),
                "does not verify");
    }

    @Test
    void anotherPackagesSignatureIsRefused() throws IOException {
        // signed for v1.1.0 with another description: the metadata changed after signing
        Path signed = samplePackage("v1.1.0", UpdateType.URGENT, null);
        Path other = samplePackage("v1.1.0", UpdateType.SCHEDULED, null);
        Map<String, Object> form = form("v1.1.0", "scheduled", null, null);
        form.put("package", other);
        form.put("signature", json(sign(signed, PUBLISHER)));
        assertRefused(api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form), "does not verify");
    }

    @Test
    void signedMetadataWithAFileOfAnotherUpdateIsRefused() throws IOException {
        Path signed = samplePackage("v1.1.0", UpdateType.URGENT, null);
        Path older = samplePackage("v1.0.0", UpdateType.URGENT, null);
        Path mixed = work.resolve("mixed").resolve("update_v1.1.0.zip");
        Files.createDirectories(mixed.getParent());
        replaceEntry(signed, older, "pi_client/client.py", mixed);
        PublisherSignature signature = sign(signed, PUBLISHER);

        HttpApi.Response refused = upload(mixed, "v1.1.0", json(signature));
        assertRefused(refused, "the package was refused: entry 'pi_client/client.py'");
        assertThat(refused.json().get("detail").asText()).contains("manifest");
        // the same signature over the untouched package is good: only the swapped file was refused
        assertThat(upload(signed, "v1.1.0", json(signature)).status()).isEqualTo(201);
    }

    /**
     * Issue 16: the signature covers an agent release through the metadata's manifest: a signed package that carries
     * one is published; the same package with another agent jar put in after signing is refused.
     */
    @Test
    void aSignedAgentReleaseIsPublishedAndOneWithAnotherJarSwappedInIsRefused() throws IOException {
        Path jar = AgentReleaseTests.agentJar(Files.createDirectories(work.resolve("agent")).resolve("pi-agent.jar"));
        Path signed = PackageBuilder.sampleAgentPackage(Files.createDirectories(work.resolve("signed")),
                Version.parse("v1.1.0"), UpdateType.URGENT, Version.parse("v0.2.0"), jar, true);
        Path evilJar = Files.write(work.resolve("agent/evil.jar"), Files.readAllBytes(jar));
        Files.write(evilJar, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
        Path donor = PackageBuilder.sampleAgentPackage(Files.createDirectories(work.resolve("donor")),
                Version.parse("v1.1.0"), UpdateType.URGENT, Version.parse("v0.2.0"), evilJar, true);
        Path swapped = work.resolve("swapped").resolve("update_v1.1.0.zip");
        Files.createDirectories(swapped.getParent());
        replaceEntry(signed, donor, "javia_agent/pi-agent.jar", swapped);
        PublisherSignature signature = sign(signed, PUBLISHER);

        HttpApi.Response refused = upload(swapped, "v1.1.0", json(signature));
        assertRefused(refused, "the package was refused: entry 'javia_agent/pi-agent.jar'");

        HttpApi.Response published = upload(signed, "v1.1.0", json(signature));
        assertThat(published.status()).as(published.toString()).isEqualTo(201);
        assertThat(published.json().get("update").get("agent_version").asText()).isEqualTo("v0.2.0");
        assertThat(published.json().get("update").get("signed_by").asText()).isEqualTo(keyId(PUBLISHER));
    }

    @Test
    void aSignatureThatIsNotASigFileIsRefusedAndSaysWhatOneLooksLike() throws IOException {
        Path zip = samplePackage("v1.1.0", UpdateType.URGENT, null);
        assertRefused(upload(zip, "v1.1.0", "{\"key_id\": "), "is not the JSON of a signature file");
        assertRefused(upload(zip, "v1.1.0", "[1, 2]"), "update_v1.1.0.zip.sig");
        assertRefused(upload(zip, "v1.1.0", "{\"key_id\": \"" + keyId(PUBLISHER) + "\"}"),
                "needs both key_id and signature");
        assertRefused(upload(zip, "v1.1.0", "{\"signature\": \"" + "A".repeat(5000) + "\"}"),
                "longer than 4096 characters");
    }

    private HttpApi.Response upload(Path zip, String version, String signature) {
        Map<String, Object> form = form(version, "urgent", null, null);
        form.put("package", zip);
        if (signature != null) {
            form.put("signature", signature);
        }
        return api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);
    }

    private void assertRefused(HttpApi.Response response, String detail) throws IOException {
        assertProblem(response, 400, detail);
        assertThat(jdbc.queryForObject("select count(*) from updates", Integer.class)).as("updates stored").isZero();
        assertThat(storedFiles()).as("packages stored").isZero();
    }

    /** {@code zip} with {@code name}'s content taken from {@code donor}: signed metadata, another update's file. */
    private static void replaceEntry(Path zip, Path donor, String name, Path out) throws IOException {
        try (ZipFile source = new ZipFile(zip.toFile()); ZipFile from = new ZipFile(donor.toFile());
             OutputStream file = Files.newOutputStream(out); ZipOutputStream target = new ZipOutputStream(file)) {
            var entries = source.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                ZipEntry copy = new ZipEntry(entry.getName());
                target.putNextEntry(copy);
                ZipEntry swapped = entry.getName().equals(name) ? from.getEntry(name) : null;
                try (InputStream in = swapped != null ? from.getInputStream(swapped) : source.getInputStream(entry)) {
                    in.transferTo(target);
                }
                target.closeEntry();
            }
        }
    }
}
