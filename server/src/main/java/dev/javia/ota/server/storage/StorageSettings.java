package dev.javia.ota.server.storage;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where packages live ({@code ota.storage.*}; README's settings table names the environment variables).
 *
 * @param type            {@code filesystem} (the default: {@code OTA_STORAGE_PATH}) or {@code s3}
 * @param s3Endpoint      the S3 endpoint ({@code OTA_S3_ENDPOINT}); empty: derived from {@code supabaseUrl}, or AWS's
 * @param s3Region        the region the requests are signed for; Supabase's is the project's
 * @param s3Bucket        the bucket, which must exist (the server does not create it)
 * @param s3AccessKeyId   empty: the AWS SDK's default chain (AWS_ACCESS_KEY_ID, an instance profile, ...)
 * @param s3SecretAccessKey the secret of that key
 * @param s3Downloads     {@code redirect}: devices are sent to a presigned URL; {@code proxy}: the server streams
 * @param s3PresignTtl    how long a presigned download URL stays valid
 * @param s3PartSize      uploads above this size go up as a multipart upload in parts of this size (5MB at least)
 * @param supabaseUrl     the seed's {@code SUPABASE_URL}; fills the endpoint when {@code OTA_S3_ENDPOINT} is unset
 */
@ConfigurationProperties("ota.storage")
record StorageSettings(
        @DefaultValue("filesystem") String type,
        String s3Endpoint,
        String s3Region,
        @DefaultValue("update-packages") String s3Bucket,
        String s3AccessKeyId,
        String s3SecretAccessKey,
        @DefaultValue("redirect") String s3Downloads,
        @DefaultValue("5m") Duration s3PresignTtl,
        @DefaultValue("16MB") DataSize s3PartSize,
        String supabaseUrl) {

    static final String FILESYSTEM = "filesystem";
    static final String S3 = "s3";

    boolean s3() {
        return S3.equals(normalized(type));
    }

    boolean redirectDownloads() {
        return "redirect".equals(normalized(s3Downloads));
    }

    String region() {
        return blank(s3Region) ? "us-east-1" : s3Region.trim();
    }

    String bucket() {
        return blank(s3Bucket) ? "update-packages" : s3Bucket.trim();
    }

    /**
     * The endpoint to use, or null for AWS's own. {@code https://<ref>.supabase.co} becomes Supabase Storage's S3
     * endpoint {@code https://<ref>.storage.supabase.co/storage/v1/s3}; any other Supabase URL (self-hosted, the CLI's
     * local stack) serves it under {@code /storage/v1/s3}.
     */
    URI endpoint() {
        if (!blank(s3Endpoint)) {
            return URI.create(s3Endpoint.trim());
        }
        if (blank(supabaseUrl)) {
            return null;
        }
        URI supabase = URI.create(supabaseUrl.trim().replaceAll("/+$", ""));
        String host = supabase.getHost();
        if (host != null && host.endsWith(".supabase.co") && !host.endsWith(".storage.supabase.co")) {
            String ref = host.substring(0, host.length() - ".supabase.co".length());
            return URI.create(supabase.getScheme() + "://" + ref + ".storage.supabase.co/storage/v1/s3");
        }
        return URI.create(supabase + "/storage/v1/s3");
    }

    /** What is wrong with these settings, each saying what to set; empty when they are usable. */
    List<String> problems() {
        List<String> problems = new ArrayList<>();
        String kind = normalized(type);
        if (!FILESYSTEM.equals(kind) && !S3.equals(kind)) {
            problems.add("OTA_STORAGE is '" + type + "': set it to filesystem (the default) or s3");
            return problems;
        }
        if (!S3.equals(kind)) {
            return problems;
        }
        String downloads = normalized(s3Downloads);
        if (!"redirect".equals(downloads) && !"proxy".equals(downloads)) {
            problems.add("OTA_S3_DOWNLOADS is '" + s3Downloads + "': set it to redirect (devices fetch from the store"
                    + " through a presigned URL) or proxy (the server streams the package)");
        }
        try {
            URI endpoint = endpoint();
            if (endpoint != null && (endpoint.getHost() == null
                    || !("http".equals(endpoint.getScheme()) || "https".equals(endpoint.getScheme())))) {
                problems.add("the S3 endpoint '" + endpoint + "' is not an http(s) URL: set OTA_S3_ENDPOINT (or"
                        + " SUPABASE_URL) to e.g. https://<ref>.storage.supabase.co/storage/v1/s3");
            }
        } catch (IllegalArgumentException e) {
            problems.add("OTA_S3_ENDPOINT or SUPABASE_URL does not read as a URL (" + e.getMessage() + ")");
        }
        if (blank(s3AccessKeyId) != blank(s3SecretAccessKey)) {
            problems.add("only one of OTA_S3_ACCESS_KEY_ID and OTA_S3_SECRET_ACCESS_KEY is set: set both, or neither"
                    + " to use the AWS SDK's default credentials");
        }
        if (s3PresignTtl == null || s3PresignTtl.isNegative() || s3PresignTtl.isZero()
                || s3PresignTtl.compareTo(Duration.ofDays(7)) > 0) {
            problems.add("OTA_S3_PRESIGN_TTL is " + s3PresignTtl + ": set a duration above zero and at most 7d,"
                    + " e.g. 5m");
        }
        if (s3PartSize == null || s3PartSize.toBytes() < DataSize.ofMegabytes(5).toBytes()) {
            problems.add("OTA_S3_PART_SIZE is " + s3PartSize + ": S3 needs parts of 5MB at least, e.g. 16MB");
        }
        return problems;
    }

    private static String normalized(String value) {
        return value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    }

    static boolean blank(String value) {
        return value == null || value.isBlank();
    }
}
