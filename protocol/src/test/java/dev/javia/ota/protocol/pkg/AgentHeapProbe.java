package dev.javia.ota.protocol.pkg;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the agent does with a download, in a JVM of its own: {@link PackageInspector} (the {@code verifying} step),
 * then {@link PackageExtractor} (the {@code extracting} step), with the agent's limits, beside a ballast that stands
 * for the rest of the agent. Prints one line per package; an {@link OutOfMemoryError} ends the JVM (the unit's
 * {@code -XX:+ExitOnOutOfMemoryError}) before the last line.
 *
 * <pre>java [the unit's flags] -cp ... AgentHeapProbe WORK_DIR PACKAGE.zip...</pre>
 */
public final class AgentHeapProbe {

    /** The agent's own heap in use is 6.3 MB (bench/README.md, "Agent footprint"); this is two and a half times it. */
    static final int AGENT_BALLAST_BYTES = 16 * 1024 * 1024;
    static final String DONE = "probe done";

    private AgentHeapProbe() {
    }

    public static void main(String[] args) throws Exception {
        byte[] ballast = new byte[AGENT_BALLAST_BYTES];
        Path work = Path.of(args[0]);
        for (int i = 1; i < args.length; i++) {
            Path zip = Path.of(args[i]);
            Path release = work.resolve("release-" + i);
            String outcome;
            try {
                UpdateMetadata metadata = PackageInspector.inspect(zip, PackageLimits.defaults());
                PackageExtractor.extract(zip, release, PackageLimits.defaults());
                outcome = "accepted " + metadata.files().size() + " files";
                FileTrees.delete(release, false);
            } catch (InvalidPackageException e) {
                outcome = "refused: " + e.getMessage();
            }
            System.out.println(zip.getFileName() + " | " + (Files.exists(release) ? "LEFT A RELEASE | " : "")
                    + outcome);
        }
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        System.out.println(DONE + ": heap peak " + peak / (1024 * 1024) + " MiB (garbage and the "
                + AGENT_BALLAST_BYTES / (1024 * 1024) + " MiB ballast included), max "
                + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB");
        Reference.reachabilityFence(ballast);
    }
}
