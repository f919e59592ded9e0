package dev.javia.ota.server.security;

import dev.javia.ota.protocol.api.AdminKeyEntry;

import java.util.ArrayList;
import java.util.List;

/**
 * The entries of {@code ota.admin-api-keys} ({@code OTA_ADMIN_API_KEY}), each with its name. Blank entries are
 * skipped and do not count as a position, so that {@code key1,,key2} names its keys as {@code key1,key2} does.
 */
final class AdminKeys {

    private AdminKeys() {
    }

    static List<AdminKeyEntry> entries(List<String> configured) {
        List<AdminKeyEntry> entries = new ArrayList<>();
        if (configured == null) {
            return entries;
        }
        for (String entry : configured) {
            if (entry != null && !entry.isBlank()) {
                entries.add(AdminKeyEntry.parse(entry, entries.size() + 1));
            }
        }
        return entries;
    }
}
