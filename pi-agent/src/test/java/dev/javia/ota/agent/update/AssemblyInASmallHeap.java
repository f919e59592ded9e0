package dev.javia.ota.agent.update;

import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.PackageTrust;
import dev.javia.ota.protocol.pkg.Sha256;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What {@link Assembling} does with a delta, in a JVM of its own, started by {@link DeltaMemoryTests} with a heap
 * far smaller than the release's largest file: the target's metadata read from the delta, then the assembly.
 * {@code whole} instead reads one file whole, the control that shows the heap is small enough to fail.
 */
public final class AssemblyInASmallHeap {

    private AssemblyInASmallHeap() {
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("idle")) {
            // the same JVM, its classes for reading a package loaded, nothing assembled: the baseline
            Extracting.metadataBytes(Path.of(args[1]), PackageLimits.defaults());
            System.out.println("idle; " + peak());
            return;
        }
        if (args[0].equals("whole")) {
            byte[] all = Files.readAllBytes(Path.of(args[1]));
            System.out.println("read " + all.length + " bytes");
            return;
        }
        Path delta = Path.of(args[1]);
        byte[] metadata = Extracting.metadataBytes(delta, PackageLimits.defaults());
        String expected = Sha256.of(metadata);
        DeltaFixture.ASSEMBLER.assemble(delta, Path.of(args[2]), Path.of(args[3]), PackageLimits.defaults(),
                PackageTrust.none(), expected);
        System.out.println("assembled; " + peak());
    }

    /** The peak resident set of this whole process (heap, metaspace, code, native buffers), as Linux counts it. */
    private static String peak() throws java.io.IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(line -> line.startsWith("VmHWM:"))
                .findFirst().orElse("VmHWM: unknown").replaceAll("\\s+", " ");
    }
}
