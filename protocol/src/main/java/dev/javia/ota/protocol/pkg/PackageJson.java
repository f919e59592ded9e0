package dev.javia.ota.protocol.pkg;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DatabindException;
import tools.jackson.core.util.DefaultIndenter;
import tools.jackson.core.util.DefaultPrettyPrinter;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.cfg.DateTimeFeature;
import tools.jackson.databind.json.JsonMapper;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.regex.Pattern;

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

    /** Where Jackson names its own methods and classes in a message: {@code , from `StreamReadConstraints...`}. */
    private static final Pattern INTERNALS = Pattern.compile(",? from `[^`]*`");

    private PackageJson() {
    }

    /** The shared mapper, for callers that read or write the package's JSON in other shapes. */
    public static JsonMapper mapper() {
        return MAPPER;
    }

    /**
     * Reads within {@code limits}: the parse cannot take more memory than a manifest of their size needs. The JSON
     * must be UTF-8, one object with no property given twice (readers differ on which one wins) and nothing after
     * it.
     *
     * @throws InvalidPackageException when the JSON does not describe update metadata, or {@code json} throws it
     */
    public static UpdateMetadata read(InputStream json, PackageLimits limits) {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(limits.metadataConstraints())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .disable(StreamReadFeature.AUTO_CLOSE_SOURCE)
                .disable(TokenStreamFactory.Feature.CHARSET_DETECTION)
                .build();
        try (JsonParser parser = factory.createParser(ObjectReadContext.empty(), json)) {
            UpdateMetadata metadata = MAPPER.readerFor(UpdateMetadata.class)
                    .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .readValue(parser);
            if (parser.nextToken() != null) {
                throw new InvalidPackageException(PackageLayout.METADATA + " has more after its JSON object: "
                        + "rebuild the package with create_update");
            }
            return metadata;
        } catch (JacksonException e) {
            // a refusal of the stream underneath (a size lie, a CRC-32 mismatch) says more than Jackson's wrapper
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                if (cause instanceof InvalidPackageException refusal) {
                    throw refusal;
                }
            }
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

    /** Says what is wrong in the terms of the file, without Jackson's class and type names. */
    private static InvalidPackageException unreadable(JacksonException e) {
        String what;
        if (e instanceof StreamConstraintsException) {
            what = "it goes beyond what package metadata may hold: " + INTERNALS.matcher(e.getOriginalMessage())
                    .replaceAll("");
        } else if (e instanceof DatabindException && !e.getPath().isEmpty()) {
            what = "the value at " + path(e.getPath()) + " is missing or of the wrong kind";
        } else {
            what = INTERNALS.matcher(e.getOriginalMessage()).replaceAll("");
        }
        return new InvalidPackageException(PackageLayout.METADATA + " is not valid update metadata (" + what
                + "): rebuild the package with create_update", e);
    }

    /** E.g. {@code files[2].size}. */
    private static String path(List<JacksonException.Reference> references) {
        StringBuilder path = new StringBuilder();
        for (JacksonException.Reference reference : references) {
            if (reference.getPropertyName() != null) {
                path.append(path.length() == 0 ? "" : ".").append(reference.getPropertyName());
            } else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.toString();
    }
}
