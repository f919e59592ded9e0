package dev.javia.ota.protocol.pkg;

import tools.jackson.core.JacksonException;
import tools.jackson.core.util.DefaultIndenter;
import tools.jackson.core.util.DefaultPrettyPrinter;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.cfg.DateTimeFeature;
import tools.jackson.databind.json.JsonMapper;

import java.io.InputStream;
import java.io.OutputStream;

/**
 * The one JSON mapper for {@code update_metadata.json}. Its output must be the same bytes for the same metadata on
 * every machine (reproducible packages), so the indentation and line ends are fixed here rather than taken from the
 * platform, and instants are ISO-8601 strings.
 */
public final class PackageJson {

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DateTimeFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .defaultPrettyPrinter(new DefaultPrettyPrinter()
                    .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                    .withArrayIndenter(new DefaultIndenter("  ", "\n")))
            .build();

    private PackageJson() {
    }

    /** The shared mapper, for callers that read or write the package's JSON in other shapes. */
    public static JsonMapper mapper() {
        return MAPPER;
    }

    /**
     * @throws InvalidPackageException when the JSON does not describe update metadata
     */
    public static UpdateMetadata read(InputStream json) {
        try {
            return MAPPER.readValue(json, UpdateMetadata.class);
        } catch (JacksonException e) {
            throw unreadable(e);
        }
    }

    public static UpdateMetadata fromJson(String json) {
        try {
            return MAPPER.readValue(json, UpdateMetadata.class);
        } catch (JacksonException e) {
            throw unreadable(e);
        }
    }

    /** Writes without closing {@code out}. */
    public static void write(UpdateMetadata metadata, OutputStream out) {
        MAPPER.writeValue(new NonClosingOutputStream(out), metadata);
    }

    public static String toJson(UpdateMetadata metadata) {
        return MAPPER.writeValueAsString(metadata);
    }

    private static InvalidPackageException unreadable(JacksonException e) {
        return new InvalidPackageException(PackageLayout.METADATA + " is not valid update metadata ("
                + e.getOriginalMessage() + "): rebuild the package with create_update", e);
    }
}
