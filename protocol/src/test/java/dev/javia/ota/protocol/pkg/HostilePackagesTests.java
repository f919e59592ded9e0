package dev.javia.ota.protocol.pkg;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The hostile-package corpus ({@link HostilePackages}) against both readers: the inspector (server at upload,
 * agent when verifying, packager) refuses every case with its message, and the extractor refuses it with the same
 * message and leaves nothing in the target directory.
 */
class HostilePackagesTests {

    @TempDir
    Path dir;

    static List<HostilePackages.Case> cases() {
        return HostilePackages.cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void theInspectorRefusesIt(HostilePackages.Case hostile) throws IOException {
        Path zip = hostile.writeTo(dir);
        assertThatThrownBy(() -> PackageInspector.inspect(zip, PackageLimits.defaults()))
                .isInstanceOf(InvalidPackageException.class)
                .hasMessageContaining(hostile.refusal());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void theExtractorRefusesItAndLeavesNothing(HostilePackages.Case hostile) throws IOException {
        Path zip = hostile.writeTo(dir);
        Path release = dir.resolve("release");
        Path existing = Files.createDirectories(dir.resolve("existing"));

        assertThatThrownBy(() -> PackageExtractor.extract(zip, release, PackageLimits.defaults()))
                .isInstanceOf(InvalidPackageException.class)
                .hasMessageContaining(hostile.refusal());
        assertThatThrownBy(() -> PackageExtractor.extract(zip, existing, PackageLimits.defaults()))
                .isInstanceOf(InvalidPackageException.class)
                .hasMessageContaining(hostile.refusal());

        assertThat(release).doesNotExist();
        assertThat(existing).isEmptyDirectory();
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left.map(path -> path.getFileName().toString()))
                    .containsExactlyInAnyOrder(zip.getFileName().toString(), "existing");
        }
    }

    /** Each case is one lie in a valid package: without the lie, the same writer makes a package that is accepted. */
    @Test
    void theCorpusStartsFromAnAcceptedPackage() throws IOException {
        Path zip = HostilePackages.valid().write(dir.resolve("valid.zip"));
        assertThat(PackageInspector.inspect(zip, PackageLimits.defaults()).version()).isEqualTo(HostilePackages.VERSION);
        Path release = dir.resolve("release");
        PackageExtractor.extract(zip, release, PackageLimits.defaults());
        assertThat(release.resolve("client.py")).hasContent("print('hello')");
    }

    @Test
    void everyCaseHasItsOwnName() {
        Set<String> names = new HashSet<>();
        for (HostilePackages.Case hostile : cases()) {
            assertThat(names.add(hostile.name())).as(hostile.name()).isTrue();
            assertThat(hostile.refusal()).as(hostile.name()).isNotBlank();
        }
    }
}
