package dev.javia.ota.protocol.trust;

import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.PackageBuilder;
import dev.javia.ota.protocol.pkg.PackageInspector;
import dev.javia.ota.protocol.pkg.PackageJson;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.PackageSignatures;
import dev.javia.ota.protocol.pkg.PackageTrust;
import dev.javia.ota.protocol.pkg.UpdateMetadata;
import dev.javia.ota.protocol.pkg.Version;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.util.List;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/** What the trust additions change for readers that came before them, and for readers after them. */
class FormatCompatibilityTests {

    @TempDir
    Path dir;

    @Test
    void aSignedPackageWithAKeySetKeepsTheLayoutTodaysAgentsAccept() throws Exception {
        KeyPair publisher = Ed25519Keys.generate();
        Path source = Files.createDirectories(dir.resolve("src"));
        Files.writeString(source.resolve("client.py"), "print('hi')\n");
        Path zip = dir.resolve("update_v2.0.0.zip");
        PackageBuilder.buildFile(source, Version.parse("v2.0.0"), UpdateType.SCHEDULED, "rotation", List.of(),
                Instant.parse("2026-12-02T00:00:00Z"),
                new PublisherKeySet(2, List.of(Ed25519Keys.text(publisher.getPublic()))), zip);
        PackageSignatures.sign(zip, publisher.getPrivate(), PackageLimits.defaults());

        try (ZipFile file = new ZipFile(zip.toFile())) {
            assertThat(file.stream().map(e -> e.getName().contains("/") ? e.getName().substring(0,
                    e.getName().indexOf('/') + 1) : e.getName()).distinct())
                    .containsExactlyInAnyOrder("pi_client/", "update_metadata.json");
        }
        // the reader of agents before signatures: no trust, and publisher_keys is a field it does not know
        UpdateMetadata read = PackageInspector.inspect(zip, PackageLimits.defaults());
        assertThat(read.version()).isEqualTo("v2.0.0");
        assertThat(read.publisherKeys().serial()).isEqualTo(2);
        assertThat(PackageInspector.inspect(zip, PackageLimits.defaults(), PackageTrust.none())).isEqualTo(read);
    }

    @Test
    void metadataWithoutAKeySetWritesNoKeySetField() throws Exception {
        Path zip = PackageBuilder.samplePackage(dir, Version.parse("v1.0.0"), UpdateType.URGENT, List.of());
        UpdateMetadata metadata = PackageInspector.inspect(zip, PackageLimits.defaults());
        assertThat(metadata.publisherKeys()).isNull();
        assertThat(metadata.toJson()).doesNotContain("publisher_keys");
    }

    @Test
    void metadataWithFieldsFromTheFutureIsRead() {
        String json = """
                {"format_version": 1, "version": "v3.0.0", "update_type": "scheduled", "description": "d",
                 "created_at": "2027-01-01T00:00:00Z", "requires_system_packages": false, "system_packages": [],
                 "files": [], "delta_base": {"version": "v2.0.0"}, "publisher_keys": {"serial": 4,
                 "keys": ["ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="], "threshold": 1}}""";
        UpdateMetadata metadata = PackageJson.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)),
                PackageLimits.defaults());
        assertThat(metadata.version()).isEqualTo("v3.0.0");
        assertThat(metadata.publisherKeys().serial()).isEqualTo(4);
    }

    @Test
    void anOfferOfAServerBeforeSignaturesReadsAsUnsignedAndNotARollback() {
        String old = """
                {"id": "0190f5c8-7a4e-7cc2-9b5e-3f1a2b4c5d6e", "version": "v1.2.0", "update_type": "urgent",
                 "description": "d", "package_url": "/api/v1/updates/x/download", "sha256": "ab", "size_bytes": 10,
                 "requires_system_packages": false, "system_packages": []}""";
        UpdateOffer offer = PackageJson.mapper().readValue(old, UpdateOffer.class);
        assertThat(offer.signature()).isNull();
        assertThat(offer.rollbackStatement()).isNull();
        assertThat(offer.rollback()).isFalse();
    }
}
