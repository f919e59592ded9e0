package dev.javia.ota.server.web;

import org.springframework.http.converter.HttpMessageNotReadableException;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;

import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Says what is wrong with a JSON body that could not be read, in the API's own terms: the field by its wire name
 * (e.g. {@code metadata.model}), what it must be, and where a syntax error is. Jackson's own messages name Java
 * classes and parser states; none of that reaches the caller.
 */
public final class UnreadableBodies {

    private static final int SHOWN = 64;

    private UnreadableBodies() {
    }

    static String explain(HttpMessageNotReadableException ex) {
        Throwable cause = ex.getCause();
        IllegalArgumentException ours = ownRefusal(cause);
        if (ours != null) {
            return ours.getMessage();
        }
        if (cause instanceof InvalidFormatException invalid) {
            return field(invalid) + " must be " + kindOf(invalid.getTargetType()) + ", not '" + shown(invalid.getValue())
                    + "'";
        }
        if (cause instanceof MismatchedInputException mismatched) {
            String field = field(mismatched);
            return field.equals("the body")
                    ? "the body must be " + kindOf(mismatched.getTargetType()) + " with the documented fields"
                    : field + " must be " + kindOf(mismatched.getTargetType());
        }
        if (cause instanceof StreamReadException syntax) {
            TokenStreamLocation at = syntax.getLocation();
            String where = at == null || at.getLineNr() < 1 ? "" : " (at line " + at.getLineNr() + ", column "
                    + at.getColumnNr() + ")";
            return "the body is not valid JSON" + where + ": send one JSON object with the documented fields";
        }
        if (cause instanceof JacksonException) {
            return "the body could not be read as the documented JSON object: check its fields and their types";
        }
        return "the request needs a JSON body with the documented fields";
    }

    /** What a value of this type looks like on the wire, for "must be ..." sentences. */
    public static String kindOf(Class<?> type) {
        if (type == null) {
            return "a valid value";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == UUID.class) {
            return "a UUID such as 0190f7a4-5b6c-7d8e-9f00-112233445566";
        }
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class
                || type == short.class || type == Short.class) {
            return "a whole number";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (type == Instant.class) {
            return "a UTC timestamp such as 2026-01-01T02:00:00Z";
        }
        if (type.isEnum()) {
            return "one of " + Arrays.stream(type.getEnumConstants())
                    .map(constant -> ((Enum<?>) constant).name().toLowerCase(Locale.ROOT))
                    .collect(Collectors.joining(" | "));
        }
        if (type.isArray() || Collection.class.isAssignableFrom(type)) {
            return "a JSON array";
        }
        if (Map.class.isAssignableFrom(type) || type.isRecord()) {
            return "a JSON object";
        }
        return "a valid value";
    }

    /** A value as the caller sent it, short and on one line. */
    public static String shown(Object value) {
        String text = String.valueOf(value).replaceAll("\\p{Cntrl}", "?");
        return text.length() > SHOWN ? text.substring(0, SHOWN) + "..." : text;
    }

    /**
     * The sentence of a validation in the wire records themselves (an enum's parse lists what it accepts): those
     * throw a plain {@link IllegalArgumentException} written for the caller. Subclasses (a number format) are the
     * JDK's and are not passed on.
     */
    private static IllegalArgumentException ownRefusal(Throwable failure) {
        for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
            if (t.getClass() == IllegalArgumentException.class && t.getMessage() != null) {
                return (IllegalArgumentException) t;
            }
        }
        return null;
    }

    /** The field's wire name with its path ({@code metadata.sensors[2]}), or "the body" for the whole. */
    private static String field(JacksonException failure) {
        StringBuilder path = new StringBuilder();
        for (JacksonException.Reference reference : failure.getPath()) {
            if (reference.getPropertyName() != null) {
                path.append(path.isEmpty() ? "" : ".").append(reference.getPropertyName());
            } else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.isEmpty() ? "the body" : "'" + path + "'";
    }
}
