/**
 * Where packages live: the {@link dev.javia.ota.server.storage.PackageStore} seam, with the local filesystem store
 * (the default) and the S3 store (AWS S3, MinIO, Supabase Storage), chosen by {@code OTA_STORAGE}.
 */
package dev.javia.ota.server.storage;
