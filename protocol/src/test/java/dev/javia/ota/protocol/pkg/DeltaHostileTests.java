package dev.javia.ota.protocol.pkg;

import dev.javia.ota.protocol.delta.DeltaAssembler;
import dev.javia.ota.protocol.delta.DeltaBuilder;
import dev.javia.ota.protocol.delta.DeltaReleases;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static dev.javia.ota.protocol.delta.DeltaReleases.LIMITS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Hostile deltas, each refused before anything is written, with a message that says what is wrong and what to do.
 * Here beside {@link HostilePackagesTests} for {@link RawZip}, which writes the ZIPs that java.util.zip will not
 * (symbolic links, duplicate names, size lies).
 */
class DeltaHostileTests {

    @TempDir
    Path dir;
    Path installed;
    Path valid;
    Map<String, byte[]> entries;

    @BeforeEach
    void validDelta() throws IOException {
        DeltaReleases.Tree base = DeltaReleases.sample();
        byte[] wake = base.files.get("models/wake.bin");
        DeltaReleases.Tree target = base.copy().put("client.py", "print('v1.1.0')\n").remove("models/wake.bin")
                .put("models/wake-en.bin", wake);
        Path baseZip = base.build(dir, "v1.0.0");
        installed = DeltaReleases.install(baseZip, dir.resolve("releases/v1.0.0"));
        valid = dir.resolve("valid.zip");
        DeltaBuilder.build(baseZip, target.build(dir, "v1.1.0"), valid, LIMITS);
        entries = DeltaReleases.entries(valid);
        assertThat(entries).containsKeys("update_metadata.json", "base_metadata.json", "delta.json",
                "whole/client.py", "whole/VERSION");
    }

    private void refused(Path delta, String reason) {
        Path target = dir.resolve("releases/v1.1.0");
        assertThatThrownBy(() -> DeltaAssembler.assemble(delta, installed, target, LIMITS, PackageTrust.none(), null))
                .isExactlyInstanceOf(InvalidPackageException.class)
                .hasMessageContaining(reason)
                .hasMessageContaining("install the full package")
                .hasMessageNotContaining("create_update");
        assertThat(target).doesNotExist();
    }

    private Path zip(Map<String, byte[]> content) throws IOException {
        return DeltaReleases.write(dir.resolve("hostile.zip"), content);
    }

    private Path raw(RawZip zip) throws IOException {
        return zip.write(dir.resolve("hostile.zip"));
    }

    private Map<String, byte[]> with(String name, byte[] content) {
        Map<String, byte[]> copy = new LinkedHashMap<>(entries);
        copy.put(name, content);
        return copy;
    }

    private Map<String, byte[]> without(String name) {
        Map<String, byte[]> copy = new LinkedHashMap<>(entries);
        copy.remove(name);
        return copy;
    }

    private static ObjectNode file(ObjectNode json, String path) {
        for (var node : (ArrayNode) json.get("files")) {
            if (node.get("path").asString().equals(path)) {
                return (ObjectNode) node;
            }
        }
        throw new IllegalArgumentException(path);
    }

    @Test
    void theValidDeltaAssembles() throws IOException {
        DeltaAssembler.assemble(zip(entries), installed, dir.resolve("releases/v1.1.0"), LIMITS, PackageTrust.none(),
                null);
        assertThat(dir.resolve("releases/v1.1.0/models/wake-en.bin")).exists();
    }

    @Test
    void namesThatLeaveTheReleaseOrAreAbsolute() throws IOException {
        refused(raw(RawZip.of(with("whole/../../etc/cron.d/x", new byte[1]))), "leaves the package");
        refused(raw(RawZip.of(with("whole//etc/passwd", new byte[1]))), "is an absolute path");
        refused(raw(RawZip.of(with("whole/a/./b", new byte[1]))), "empty or '.' path segment");
        refused(raw(RawZip.of(with("/etc/passwd", new byte[1]))), "is none of update_metadata.json");
        refused(raw(RawZip.of(with("patch/a\\b.zst", new byte[1]))), "backslash");
        refused(raw(RawZip.of(with("whole/audio/", new byte[0]))), "directory entry");
    }

    @Test
    void aSymbolicLinkEntry() throws IOException {
        RawZip zip = RawZip.of(entries);
        zip.entry("whole/client.py").unixMode(0120777);
        refused(raw(zip), "symbolic link");
    }

    @Test
    void duplicateAndCaseClashingEntries() throws IOException {
        RawZip zip = RawZip.of(entries);
        zip.add("whole/client.py", entries.get("whole/client.py"));
        refused(raw(zip), "appears twice");
        refused(raw(RawZip.of(with("whole/Client.py", new byte[1]))), "differ only by case");
    }

    @Test
    void anEntryThatInflatesBeyondWhatItDeclares() throws IOException {
        RawZip zip = RawZip.of(entries);
        RawZip.Entry whole = zip.entry("whole/client.py");
        whole.content = new byte[10 * 1024 * 1024];
        whole.size = (long) entries.get("whole/client.py").length;
        refused(raw(zip), "inflates to more than");
    }

    @Test
    void anEntryTheDeltaJsonDoesNotName() throws IOException {
        refused(zip(with("whole/extra.py", "print('surprise')\n".getBytes(StandardCharsets.UTF_8))),
                "entry 'whole/extra.py' is not named in delta.json");
        refused(zip(with("patch/audio/codec.py.zst", new byte[8])), "entry 'patch/audio/codec.py.zst' is not named");
    }

    @Test
    void aDeltaJsonNamingAMissingEntry() throws IOException {
        refused(zip(without("whole/client.py")), "the delta has no entry 'whole/client.py'");
    }

    @Test
    void aCopyFromAPathNotInTheBaseManifest() throws IOException {
        refused(zip(DeltaReleases.editJson(entries, json -> file(json, "models/wake-en.bin").put("from",
                "models/stolen.bin"))), "from 'models/stolen.bin', which is not a file of the base's manifest");
        refused(zip(DeltaReleases.editJson(entries, json -> file(json, "models/wake-en.bin").put("from",
                "client.py"))), "whose content differs");
        refused(zip(DeltaReleases.editJson(entries, json -> file(json, "models/wake-en.bin").put("from",
                "../../../etc/shadow"))), "not a file of the base's manifest");
    }

    @Test
    void aFileThatIsNeitherCarriedNorTheSameInTheBase() throws IOException {
        refused(zip(DeltaReleases.editJson(without("whole/client.py"), json -> {
            ArrayNode files = (ArrayNode) json.get("files");
            for (int i = 0; i < files.size(); i++) {
                if (files.get(i).get("path").asString().equals("client.py")) {
                    files.remove(i);
                }
            }
        })), "'client.py' is neither in the delta nor the same in the base");
    }

    @Test
    void filesAndSourcesThatDisagreeWithTheManifests() throws IOException {
        refused(zip(DeltaReleases.editJson(entries, json -> file(json, "client.py").put("sha256",
                "0".repeat(64)))), "another size, SHA-256 or mode than the target's manifest");
        refused(zip(DeltaReleases.editJson(entries, json -> file(json, "client.py").put("how", "exec"))),
                "travels as 'exec'");
        refused(zip(DeltaReleases.editJson(entries, json -> ((ArrayNode) json.get("removed")).add("client.py"))),
                "it is not a file of the base only");
        refused(zip(DeltaReleases.editJson(entries, json -> json.put("format_version", 2))),
                "newer than the 1 this program reads");
        refused(zip(DeltaReleases.editJson(entries, json -> json.put("target_manifest_sha256", "1".repeat(64)))),
                "delta.json is for target v1.1.0");
        refused(zip(DeltaReleases.editJson(entries, json -> json.put("base_manifest_sha256", "1".repeat(64)))),
                "delta.json is from base v1.0.0");
    }

    @Test
    void metadataThatIsNotTheDeltasOwn() throws IOException {
        byte[] metadata = entries.get("update_metadata.json");
        String tampered = new String(metadata, StandardCharsets.UTF_8).replace("release v1.1.0", "release v1.1.1");
        refused(zip(with("update_metadata.json", tampered.getBytes(StandardCharsets.UTF_8))),
                "delta.json is for target v1.1.0");
        refused(zip(with("base_metadata.json", metadata)), "delta.json is from base v1.0.0");
        refused(zip(without("delta.json")), "it has no delta.json");
        refused(zip(with("delta.json", "{\"format_version\": 1, \"format_version\": 1}".getBytes(
                StandardCharsets.UTF_8))), "delta.json is not valid");
    }

    @Test
    void aFileThatIsNoZipOrBeyondTheLimits() throws IOException {
        refused(Files.writeString(dir.resolve("text.zip"), "not a zip"), "not a ZIP archive");
        Path target = dir.resolve("releases/v1.1.0");
        assertThatThrownBy(() -> DeltaAssembler.assemble(valid, installed, target, LIMITS.withMaxPackageBytes(100),
                PackageTrust.none(), null))
                .isInstanceOf(InvalidPackageException.class).hasMessageContaining("more than the package limit");
        assertThatThrownBy(() -> DeltaAssembler.assemble(valid, installed, target, LIMITS.withMaxEntries(3),
                PackageTrust.none(), null))
                .isInstanceOf(InvalidPackageException.class).hasMessageContaining("entries, more than the limit");
    }
}
