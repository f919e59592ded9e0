package dev.javia.ota.agent.update;

import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.PackageBuilder;
import dev.javia.ota.protocol.pkg.PackageLayout;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.PackageSignatures;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import dev.javia.ota.protocol.trust.PublisherKeys;
import dev.javia.ota.protocol.trust.PublisherSignature;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static dev.javia.ota.protocol.api.UpdateStatus.COMPLETED;
import static dev.javia.ota.protocol.api.UpdateStatus.DOWNLOADING;
import static dev.javia.ota.protocol.api.UpdateStatus.FAILED;
import static dev.javia.ota.protocol.api.UpdateStatus.INSTALLING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * With publisher keys pinned, nothing but a package signed by one of them is unpacked: each refusal happens in
 * verifying, before a file is extracted, is reported as {@code failed} with what to do, and leaves the device on
 * the release it ran. Without keys, packages install as before signatures, signed or not.
 */
class SignedPackageTests {

    static final List<String> INSTALLED = UpdateMachineTests.concat(UpdateMachineTests.INSTALLED, "reporting", "done",
            "idle");
    static final List<String> REFUSED_IN_VERIFYING = List.of("waiting", "downloading", "verifying", "failed",
            "reporting", "done", "idle");

    final KeyPair publisher = Ed25519Keys.generate();
    final KeyPair stranger = Ed25519Keys.generate();

    static PublisherKeys keysOf(KeyPair... pairs) {
        return PublisherKeys.parse(java.util.Arrays.stream(pairs).map(p -> Ed25519Keys.text(p.getPublic())).toList());
    }

    @Test
    void aPackageSignedByAPinnedKeyInstalls(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.pinned = keysOf(stranger, publisher);
            device.publishSigned("v1.1.0", publisher.getPrivate(), null, false, null);

            device.runToIdle(device.machine());

            assertThat(device.chain).containsExactlyElementsOf(INSTALLED);
            assertThat(device.server.reportedStatuses()).containsExactly(DOWNLOADING, INSTALLING, COMPLETED);
            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
        }
    }

    @Test
    void aTamperedSignatureIsRefused(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.pinned = keysOf(publisher);
            Path zip = sample(device.workDir, "v1.1.0");
            PublisherSignature good = PackageSignatures.sign(zip, publisher.getPrivate(), PackageLimits.defaults());
            String bytes = good.signature();
            String flipped = (bytes.charAt(0) == 'A' ? "B" : "A") + bytes.substring(1);
            device.serve(zip, "v1.1.0", new PublisherSignature(good.keyId(), flipped), false, null);

            assertRefusedInVerifying(device, "signature of package v1.1.0 by key " + good.keyId() + " does not verify");
        }
    }

    @Test
    void aGoodSignatureByAnUnknownKeyIsRefused(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.pinned = keysOf(publisher);
            device.publishSigned("v1.1.0", stranger.getPrivate(), null, false, null);

            assertRefusedInVerifying(device, "is signed by key '" + Ed25519Keys.keyId(stranger.getPublic())
                    + "', which is not one of the trusted publisher keys (keys " + Ed25519Keys.keyId(
                    publisher.getPublic()) + ")");
        }
    }

    @Test
    void anUnsignedPackageIsRefusedOnceKeysArePinned(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.pinned = keysOf(publisher);
            device.publish("v1.1.0", UpdateType.URGENT, List.of());

            assertRefusedInVerifying(device, "package v1.1.0 is not signed, and publisher keys are configured");
        }
    }

    /** The signature of one package carried by another: it covers the other's metadata, not this one's. */
    @Test
    void theSignatureOfAnotherPackageIsRefused(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.pinned = keysOf(publisher);
            Path other = sample(device.workDir.resolve("other"), "v1.2.0");
            PublisherSignature otherSignature = PackageSignatures.sign(other, publisher.getPrivate(),
                    PackageLimits.defaults());
            device.serve(sample(device.workDir, "v1.1.0"), "v1.1.0", otherSignature, false, null);

            assertRefusedInVerifying(device, "does not verify");
        }
    }

    /**
     * Mix-and-match: update A's signed metadata with update B's files (same version, same sizes). The signature
     * verifies, and the manifest it covers refuses every file that is not A's.
     */
    @Test
    void signedMetadataWithTheFilesOfAnotherUpdateIsRefused(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.pinned = keysOf(publisher);
            Path a = sample(device.workDir.resolve("a"), "v1.1.0");
            Path bSource = device.workDir.resolve("b");
            sample(bSource, "v1.1.0");
            Files.writeString(bSource.resolve("source-v1.1.0/client.py"), "print('evil! v1.1.0')\n");
            Path b = bSource.resolve("update_b.zip");
            PackageBuilder.buildFile(bSource.resolve("source-v1.1.0"), Version.parse("v1.1.0"), UpdateType.URGENT,
                    "sample update v1.1.0", List.of(), Instant.parse("2025-01-01T00:00:00Z"), b);
            Path mixed = mix(a, b, device.workDir.resolve("mixed.zip"));
            PublisherSignature signatureOfA = PackageSignatures.sign(a, publisher.getPrivate(),
                    PackageLimits.defaults());
            assertThat(PackageSignatures.metadataSha256(a, PackageLimits.defaults())).as("A's metadata, signed")
                    .isEqualTo(metadataSha256Unchecked(mixed));
            device.serve(mixed, "v1.1.0", signatureOfA, false, null);

            assertRefusedInVerifying(device, "entry 'pi_client/client.py' does not match its SHA-256");
        }
    }

    /** A signed old package offered under a new version: the signed metadata names its own version. */
    @Test
    void anOldSignedPackageUnderANewVersionIsRefused(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.pinned = keysOf(publisher);
            Path old = sample(device.workDir, "v1.0.1");
            device.serve(old, "v1.2.0", PackageSignatures.sign(old, publisher.getPrivate(), PackageLimits.defaults()),
                    false, null);

            device.runToIdle(device.machine());

            assertThat(device.chain).containsExactlyElementsOf(REFUSED_IN_VERIFYING);
            assertThat(device.server.reports().get(1).errorMessage())
                    .contains("package holds v1.0.1, the server offered v1.2.0");
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
            assertThat(device.root.release("v1.2.0")).doesNotExist();
        }
    }

    /**
     * Extracting verifies again as it reads: a download replaced after verifying (here across a power cut) is not
     * unpacked.
     */
    @Test
    void extractingRefusesAPackageSwappedAfterVerifying(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.pinned = keysOf(publisher);
            UpdateOffer offer = device.publishSigned("v1.1.0", publisher.getPrivate(), null, false, null);
            device.afterSave = name -> {
                if (name.equals("extracting")) {
                    throw new DeviceFixture.PowerCut("after saving extracting");
                }
            };
            assertThatThrownBy(() -> device.runToIdle(device.machine())).isInstanceOf(DeviceFixture.PowerCut.class);
            Path download = device.stateDir.resolve("staging").resolve(offer.id() + ".zip");
            sample(device.workDir.resolve("swap"), "v1.1.0");
            Files.writeString(device.workDir.resolve("swap/source-v1.1.0/client.py"), "print('other')\n");
            PackageBuilder.buildFile(device.workDir.resolve("swap/source-v1.1.0"), Version.parse("v1.1.0"),
                    UpdateType.URGENT, "another build", List.of(), Instant.parse("2025-02-01T00:00:00Z"), download);

            device.afterSave = name -> {
            };
            device.chain.clear();
            device.runToIdle(device.machine());

            assertThat(device.chain).containsExactly("extracting", "failed", "reporting", "done", "idle");
            assertThat(device.server.reports()).last().satisfies(report -> {
                assertThat(report.status()).isEqualTo(FAILED);
                assertThat(report.errorMessage()).contains("extracting: the signature of package v1.1.0")
                        .contains("does not verify");
            });
            assertThat(device.root.release("v1.1.0")).doesNotExist();
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
        }
    }

    @Test
    void withoutPinnedKeysASignedPackageInstallsAsBefore(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.publishSigned("v1.1.0", stranger.getPrivate(), null, false, null);

            device.runToIdle(device.machine());

            assertThat(device.chain).containsExactlyElementsOf(INSTALLED);
            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
            assertThat(device.stateDir.resolve(PublisherTrust.NAME)).as("nothing learnt without keys")
                    .doesNotExist();
        }
    }

    /** Downloads, refuses in verifying with {@code mentions}, extracts nothing and stays on v1.0.0. */
    private static void assertRefusedInVerifying(DeviceFixture device, String mentions) {
        device.runToIdle(device.machine());

        assertThat(device.chain).containsExactlyElementsOf(REFUSED_IN_VERIFYING);
        assertThat(device.server.reportedStatuses()).containsExactly(DOWNLOADING, FAILED);
        assertThat(device.server.reports().get(1).errorMessage()).startsWith("verifying: ").contains(mentions);
        assertThat(device.root.release("v1.1.0")).as("nothing extracted").doesNotExist();
        assertThat(device.root.partial("v1.1.0")).doesNotExist();
        assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
        assertThat(device.stateDir.resolve("staging")).satisfiesAnyOf(
                staging -> assertThat(staging).doesNotExist(), staging -> assertThat(staging).isEmptyDirectory());
    }

    static Path sample(Path workDir, String version) {
        try {
            return PackageBuilder.samplePackage(workDir, Version.parse(version), UpdateType.URGENT, List.of());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A ZIP of {@code filesFrom}'s {@code pi_client/} entries and {@code metadataFrom}'s metadata, byte for byte. */
    private static Path mix(Path metadataFrom, Path filesFrom, Path target) throws IOException {
        try (ZipFile files = new ZipFile(filesFrom.toFile()); ZipFile metadata = new ZipFile(metadataFrom.toFile());
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(target))) {
            for (Enumeration<? extends ZipEntry> e = files.entries(); e.hasMoreElements(); ) {
                ZipEntry entry = e.nextElement();
                if (entry.getName().startsWith(PackageLayout.APP_DIR)) {
                    copy(files, entry, out);
                }
            }
            copy(metadata, metadata.getEntry(PackageLayout.METADATA), out);
        }
        return target;
    }

    private static void copy(ZipFile from, ZipEntry entry, ZipOutputStream out) throws IOException {
        ZipEntry copy = new ZipEntry(entry.getName());
        copy.setTimeLocal(LocalDateTime.of(1980, 2, 1, 0, 0));
        copy.setMethod(ZipEntry.DEFLATED);
        out.putNextEntry(copy);
        try (InputStream in = from.getInputStream(entry)) {
            in.transferTo(out);
        }
        out.closeEntry();
    }

    /** The SHA-256 of a ZIP's metadata entry, read without the package checks (the mixed ZIP fails them). */
    private static String metadataSha256Unchecked(Path zip) throws IOException {
        try (ZipFile file = new ZipFile(zip.toFile()); InputStream in = file.getInputStream(
                file.getEntry(PackageLayout.METADATA))) {
            return dev.javia.ota.protocol.pkg.Sha256.of(in.readAllBytes());
        }
    }
}
