/**
 * Where packages live: the {@link dev.javia.ota.server.storage.PackageStore} seam, with the local filesystem store
 * (the default); an S3-compatible store implements the same interface.
 */
package dev.javia.ota.server.storage;
