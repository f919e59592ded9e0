package dev.javia.ota.protocol.api;

import java.util.regex.Pattern;

/**
 * One entry of {@code OTA_ADMIN_API_KEY}: {@code name:key}, or a plain {@code key}. The name is what the audit log
 * records as the actor; only the key is ever sent as {@code X-API-Key}. A plain key is named by its position among the
 * entries ({@code admin} for the first, {@code admin-2}, {@code admin-3}, ... after it), never by anything derived
 * from the secret. The server and the packager read entries here, so that both split them the same way.
 *
 * @param name the key's name: {@link #NAME} when it was given, else the positional default
 * @param key  the secret itself
 * @param named whether the entry gave its name
 */
public record AdminKeyEntry(String name, String key, boolean named) {

    /** What a key's name may look like: short, lower case, no ':' or ',' (they separate the entries). */
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,31}");

    /**
     * Reads an entry, the {@code position}-th (from 1) of the list. Text before the first ':' is the name, whatever it
     * looks like: the server's check refuses a name that is not {@link #NAME} rather than guess that a key holding a
     * ':' was meant whole.
     */
    public static AdminKeyEntry parse(String entry, int position) {
        String trimmed = entry.trim();
        int colon = trimmed.indexOf(':');
        if (colon < 0) {
            return new AdminKeyEntry(position == 1 ? "admin" : "admin-" + position, trimmed, false);
        }
        return new AdminKeyEntry(trimmed.substring(0, colon).trim(), trimmed.substring(colon + 1).trim(), true);
    }

    /** The secret of an entry, as {@code X-API-Key} carries it: the part after {@code name:}, or the plain key. */
    public static String keyOf(String entry) {
        return parse(entry, 1).key();
    }
}
