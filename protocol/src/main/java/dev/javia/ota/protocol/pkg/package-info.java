/**
 * The update package format: building a reproducible ZIP ({@link dev.javia.ota.protocol.pkg.PackageBuilder}),
 * checking one without trusting it ({@link dev.javia.ota.protocol.pkg.PackageInspector}) and extracting it safely
 * ({@link dev.javia.ota.protocol.pkg.PackageExtractor}). The packager, the server and the agent all use this code,
 * so a package means the same thing to each of them.
 *
 * <pre>
 * update_v1.2.3.zip
 * ├── pi_client/              the application files, VERSION among them
 * └── update_metadata.json    version, type, description, system packages, manifest (size, sha256, mode)
 * </pre>
 */
package dev.javia.ota.protocol.pkg;
