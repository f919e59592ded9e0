package dev.javia.ota.protocol.trust;

import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.InvalidPackageException;
import dev.javia.ota.protocol.pkg.PackageBuilder;
import dev.javia.ota.protocol.pkg.PackageInspector;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.PackageSignatures;
import dev.javia.ota.protocol.pkg.PackageTrust;
import dev.javia.ota.protocol.pkg.Version;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrustTests {

    private static final PackageLimits LIMITS = PackageLimits.defaults();

    @TempDir
    Path dir;

    @Test
    void keysRoundTripThroughTheirTextForms() {
        KeyPair pair = Ed25519Keys.generate();
        String text = Ed25519Keys.text(pair.getPublic());
        assertThat(text).startsWith("ed25519:").hasSize("ed25519:".length() + 44);
        assertThat(Ed25519Keys.publicKey(text)).isEqualTo(pair.getPublic());
        assertThat(Ed25519Keys.keyId(pair.getPublic())).hasSize(16).matches("[0-9a-f]+");
        var privateKey = Ed25519Keys.privateKey(Ed25519Keys.pem(pair.getPrivate()));
        assertThat(Ed25519Keys.publicKeyOf(privateKey)).isEqualTo(pair.getPublic());
    }

    @Test
    void refusesTextThatIsNotAKey() {
        assertThatThrownBy(() -> Ed25519Keys.publicKey("ssh-ed25519 AAAA")).hasMessageContaining("ed25519:BASE64");
        assertThatThrownBy(() -> Ed25519Keys.publicKey("ed25519:AAAA")).hasMessageContaining("holds 3 bytes");
        assertThatThrownBy(() -> Ed25519Keys.publicKey("ed25519:***")).hasMessageContaining("not valid Base64");
        assertThatThrownBy(() -> Ed25519Keys.privateKey("-----BEGIN PRIVATE KEY-----\nAAAA\n"))
                .hasMessageContaining("keygen");
    }

    @Test
    void aSignedPackageVerifiesAndEveryTamperingIsRefused() throws Exception {
        KeyPair publisher = Ed25519Keys.generate();
        KeyPair stranger = Ed25519Keys.generate();
        Path zip = PackageBuilder.samplePackage(dir, Version.parse("v1.2.0"), UpdateType.SCHEDULED, List.of());
        PublisherSignature signature = PackageSignatures.sign(zip, publisher.getPrivate(), LIMITS);
        PublisherKeys trusted = PublisherKeys.parse(List.of(Ed25519Keys.text(publisher.getPublic())));

        assertThat(PackageInspector.inspect(zip, LIMITS, PackageTrust.of(trusted, signature, "package v1.2.0"))
                .version()).isEqualTo("v1.2.0");

        assertThatThrownBy(() -> PackageInspector.inspect(zip, LIMITS, PackageTrust.of(trusted, null, "package")))
                .isInstanceOf(InvalidPackageException.class).hasMessageContaining("is not signed");
        PublisherSignature byStranger = PackageSignatures.sign(zip, stranger.getPrivate(), LIMITS);
        assertThatThrownBy(() -> PackageInspector.inspect(zip, LIMITS, PackageTrust.of(trusted, byStranger, "package")))
                .hasMessageContaining("not one of the trusted publisher keys");
        byte[] bits = Base64.getDecoder().decode(signature.signature());
        bits[5] ^= 1;
        PublisherSignature tampered = new PublisherSignature(signature.keyId(),
                Base64.getEncoder().encodeToString(bits));
        assertThatThrownBy(() -> PackageInspector.inspect(zip, LIMITS, PackageTrust.of(trusted, tampered, "package")))
                .hasMessageContaining("does not verify");

        Path other = PackageBuilder.samplePackage(dir.resolve("other"), Version.parse("v1.2.0"),
                UpdateType.URGENT, List.of());
        assertThatThrownBy(() -> PackageInspector.inspect(other, LIMITS, PackageTrust.of(trusted, signature, "pkg")))
                .hasMessageContaining("does not verify");
        // no keys: nothing required, as before signatures
        assertThat(PackageInspector.inspect(other, LIMITS, PackageTrust.of(PublisherKeys.none(), null, "p")))
                .isNotNull();
    }

    @Test
    void aSignatureForOnePurposeDoesNotVerifyForAnother() {
        KeyPair publisher = Ed25519Keys.generate();
        PublisherKeys trusted = PublisherKeys.parse(List.of(Ed25519Keys.text(publisher.getPublic())));
        byte[] content = "same bytes".getBytes();
        PublisherSignature forPackage = PublisherSignature.sign(publisher.getPrivate(), SignaturePurpose.PACKAGE,
                content);
        assertThat(trusted.verify(SignaturePurpose.PACKAGE, content, forPackage, "x"))
                .isEqualTo(Ed25519Keys.keyId(publisher.getPublic()));
        assertThatThrownBy(() -> trusted.verify(SignaturePurpose.ROLLBACK, content, forPackage, "x"))
                .isInstanceOf(UntrustedException.class);
    }

    @Test
    void aRollbackStatementVerifiesOnlyAsSigned() {
        KeyPair publisher = Ed25519Keys.generate();
        PublisherKeys trusted = PublisherKeys.parse(List.of(Ed25519Keys.text(publisher.getPublic())));
        UUID rollout = UUID.randomUUID();
        RollbackStatement.Signed signed = RollbackStatement.of(rollout, Version.parse("v1.0.0"),
                List.of(Version.parse("v1.1.0")), Instant.parse("2026-12-02T00:00:00Z")).sign(publisher.getPrivate());
        RollbackStatement statement = signed.verify(trusted);
        assertThat(statement.rolloutId()).isEqualTo(rollout);
        assertThat(statement.replaces()).containsExactly("v1.1.0");

        RollbackStatement.Signed altered = new RollbackStatement.Signed(
                signed.statement().replace("v1.1.0", "v1.9.0"), signed.signature());
        assertThatThrownBy(() -> altered.verify(trusted)).hasMessageContaining("does not verify");
        assertThatThrownBy(() -> signed.verify(PublisherKeys.parse(List.of(
                Ed25519Keys.text(Ed25519Keys.generate().getPublic()))))).hasMessageContaining("not one of the trusted");
    }

    @Test
    void aDeviceProofNamesItsDevice() {
        KeyPair device = Ed25519Keys.generate();
        String proof = DeviceProof.sign(device.getPrivate(), "uuid-a", "challenge-1");
        assertThat(DeviceProof.verify(device.getPublic(), "uuid-a", "challenge-1", proof)).isTrue();
        assertThat(DeviceProof.verify(device.getPublic(), "uuid-b", "challenge-1", proof)).isFalse();
        assertThat(DeviceProof.verify(device.getPublic(), "uuid-a", "challenge-2", proof)).isFalse();
        assertThat(DeviceProof.verify(device.getPublic(), "uuid-a", "challenge-1", "!!")).isFalse();
    }
}
