package dev.javia.ota.server.storage;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns a start refused for its package store into Spring Boot's short report instead of a stack trace. */
class PackageStoreFailureAnalyzer extends AbstractFailureAnalyzer<PackageStoreUnusable> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, PackageStoreUnusable cause) {
        return new FailureAnalysis("The package store is not usable:\n  - " + String.join("\n  - ", cause.problems()),
                "Fix the settings named above (in the environment or server/.env); docs/operations.md, \"Package"
                        + " storage\", shows them for AWS S3, MinIO and Supabase Storage. OTA_STORAGE=filesystem keeps"
                        + " packages on the server's disk instead.", cause);
    }
}
