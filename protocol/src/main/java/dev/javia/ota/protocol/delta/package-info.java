/**
 * Delta updates: a ZIP from one release to the next that carries only what changed ({@link DeltaBuilder}, run by the
 * server at publish time), and the assembly of the new release from the installed one and a delta, every file
 * verified against the new release's signed manifest ({@link DeltaAssembler}, run by the agent).
 *
 * <pre>
 * delta_v1.0.0_v1.1.0.zip
 * ├── update_metadata.json   the target's, byte for byte: its signature and manifest_sha256 still apply
 * ├── base_metadata.json     the base's update_metadata.json, byte for byte (its SHA-256 is base_manifest_sha256)
 * ├── delta.json             {@link DeltaManifest}: what was removed, and how each changed or new file travels
 * ├── whole/&lt;path&gt;           a changed or new file, whole
 * └── patch/&lt;path&gt;.zst       a changed file as a zstd patch against the base's file {@code from}
 * </pre>
 */
package dev.javia.ota.protocol.delta;
