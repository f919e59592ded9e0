package dev.javia.ota.server.web;

import java.util.function.Function;

/** The query filters of the paged lists: left out or blank is no filter; a value the filter cannot take is a 400. */
public final class Filters {

    private Filters() {
    }

    /** The filter's text, or null for none. */
    public static String text(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    /**
     * The filter's value as {@code parse} reads it (a wire enum's parse, whose message lists what it accepts), or
     * null for none.
     */
    public static <T> T parsed(String value, Function<String, T> parse) {
        if (text(value) == null) {
            return null;
        }
        try {
            return parse.apply(value);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }
}
