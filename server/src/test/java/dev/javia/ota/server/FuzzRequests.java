package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.testing.ApiDocument;
import dev.javia.ota.server.testing.RawHttp;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Requests generated from the API document for {@link OpenApiFuzzTests}: a documented operation, its path and
 * query parameters and its body shaped by the documented schema, then bent: wrong types, nulls, extra fields, deep
 * nesting, huge and hostile strings, invalid JSON and multipart, odd Content-Types and Accepts, every kind of key
 * and none. The same seed gives the same requests.
 */
final class FuzzRequests {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern TEMPLATE = Pattern.compile("\\{([^}]+)}");
    private static final Pattern PLAIN_SEGMENT = Pattern.compile("^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$");
    private static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS",
            "TRACE");

    /** What the generator knows of the server: real ids and every kind of key. */
    record Fixtures(List<String> deviceUuids, List<String> updateIds, String adminKey, String enrollmentKey,
            String deviceToken, String otherDeviceToken, byte[] packageZip) {
    }

    /**
     * One generated request; {@code routable} when it reaches {@code operation} for sure (its method, and path
     * values that cannot change the route), so that its answer can be held against the operation's document.
     */
    record Fuzzed(ApiDocument.Operation operation, boolean routable, String key, RawHttp.Request request) {
    }

    private final JsonMapper json = JsonMapper.builder().build();
    private final List<ApiDocument.Operation> operations;
    private final Fixtures fixtures;
    private final SplittableRandom random;

    FuzzRequests(ApiDocument document, Fixtures fixtures, long seed) {
        this.operations = document.operations();
        this.fixtures = fixtures;
        this.random = new SplittableRandom(seed);
    }

    Fuzzed next() {
        ApiDocument.Operation operation = pick(operations);
        String method = chance(0.9) ? operation.method() : pick(METHODS);
        boolean[] plain = {true};
        String target = path(operation, plain) + query(operation);
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        String key = key(headers);
        byte[] body = null;
        Map<String, JsonNode> bodies = operation.requestBodies();
        if (!bodies.isEmpty() || chance(0.05)) {
            body = bodies.containsKey("multipart/form-data") ? multipart(operation, headers)
                    : json(operation, bodies.get("application/json"), headers);
        }
        for (JsonNode parameter : operation.parameters()) {
            if (parameter.path("in").asString().equals("header") && chance(0.4)) {
                headers.add(header(parameter.path("name").asString(), headerValue(parameter.path("name").asString())));
            }
        }
        if (chance(0.15)) {
            headers.add(header("Accept", pick("*/*", "application/json", "application/xml", "text/html",
                    "application/problem+json", "image/png", "*/*;q=0", "garbage", "")));
        }
        if (chance(0.03)) {
            headers.add(header(ApiPaths.API_KEY_HEADER, pick(fixtures.adminKey(), "second-key")));
        }
        return new Fuzzed(operation, plain[0] && method.equals(operation.method()), key,
                new RawHttp.Request(method, target, headers, body));
    }

    // --- the request line ---

    private String path(ApiDocument.Operation operation, boolean[] plain) {
        Matcher template = TEMPLATE.matcher(operation.path());
        StringBuilder path = new StringBuilder();
        while (template.find()) {
            String name = template.group(1);
            String value;
            if (chance(0.45)) {
                value = name.equals("id") ? pick(fixtures.updateIds()) : pick(fixtures.deviceUuids());
                value = chance(0.05) ? value.toUpperCase(Locale.ROOT) : value;
            } else if (chance(0.25)) {
                value = UUID.randomUUID().toString();
            } else {
                value = encodedSegment(hostile(), plain);
            }
            template.appendReplacement(path, Matcher.quoteReplacement(value));
        }
        template.appendTail(path);
        return path.toString();
    }

    /** Mostly percent-encoded as a client should; sometimes raw bytes or escapes that change the route. */
    private String encodedSegment(String value, boolean[] plain) {
        double how = random.nextDouble();
        if (how < 0.75) {
            plain[0] &= !value.equals(".") && !value.equals("..") && !value.isEmpty();
            return percentEncode(value);
        }
        plain[0] = false;
        if (how < 0.9) {
            return latin1(value.replace("\r", "%0D").replace("\n", "%0A"));
        }
        return percentEncode(value) + pick("%2F", "%5C", "%00", "%ff%fe", "%2e%2e", "%", "%zz", ";x=1", "/..", "//",
                "%2e");
    }

    private String query(ApiDocument.Operation operation) {
        List<String> pairs = new ArrayList<>();
        for (JsonNode parameter : operation.parameters()) {
            if (parameter.path("in").asString().equals("query") && chance(0.5)) {
                String name = parameter.path("name").asString();
                pairs.add(name + "=" + queryValue(parameter.path("schema")));
                if (chance(0.05)) {
                    pairs.add(name + "=" + queryValue(parameter.path("schema")));
                }
            }
        }
        if (chance(0.08)) {
            String name = pick("x", "page", "size", "status", "caller", "%ff", "a%00");
            pairs.add(name + "=" + queryValue(NODES.objectNode()));
        }
        return pairs.isEmpty() ? "" : "?" + String.join("&", pairs);
    }

    private String queryValue(JsonNode schema) {
        if (chance(0.1)) {
            return pick("%ff%fe", "%", "%zz", "%00", "%c3%28", "%e2%82", "");
        }
        String value;
        if (schema.has("enum") && chance(0.7)) {
            value = pick(schema.get("enum")).asString();
            value = chance(0.1) ? value.toUpperCase(Locale.ROOT) : value;
        } else if (schema.path("type").asString().equals("integer")) {
            value = pick("0", "1", "-1", "10", "499", "500", "501", "2147483647", "2147483648", "-2147483649",
                    "99999999999999999999", "1e3", "0x10", "abc", " 5", "1.5", "");
        } else {
            value = chance(0.5) ? pick("v1.0.0", "v9.0.0", "online", "offline") : hostile();
        }
        return percentEncode(value);
    }

    // --- headers ---

    /** Adds the X-API-Key of a kind chosen at random (or none); answers the kind. */
    private String key(List<Map.Entry<String, String>> headers) {
        double kind = random.nextDouble();
        String name;
        String value;
        if (kind < 0.22) {
            name = "admin";
            value = fixtures.adminKey();
        } else if (kind < 0.44) {
            name = "device";
            value = fixtures.deviceToken();
        } else if (kind < 0.54) {
            name = "other device";
            value = fixtures.otherDeviceToken();
        } else if (kind < 0.68) {
            name = "enrollment";
            value = fixtures.enrollmentKey();
        } else if (kind < 0.8) {
            return "none";
        } else {
            name = "garbage";
            value = pick(() -> "x", () -> "", () -> " ", () -> "k".repeat(10_000), () -> "ключ",
                    () -> "dvt_" + UUID.randomUUID(), () -> "Bearer " + fixtures.adminKey(),
                    () -> fixtures.adminKey().toUpperCase(Locale.ROOT), () -> fixtures.adminKey() + "\u0000",
                    this::hostile);
        }
        headers.add(header(ApiPaths.API_KEY_HEADER, value));
        return name;
    }

    private String headerValue(String name) {
        if (name.equalsIgnoreCase("Range")) {
            return pick(() -> "bytes=0-9", () -> "bytes=-5", () -> "bytes=5-", () -> "bytes=9999999999-",
                    () -> "bytes=5-1", () -> "bytes=0-0,2-3", () -> "bytes=" + "0-0,".repeat(200) + "1-1",
                    () -> "items=0-1", () -> "bytes=abc", () -> "", this::hostile);
        }
        return pick(() -> "*", () -> "\"abc\"", () -> "W/\"x\"", () -> "", this::hostile);
    }

    private static Map.Entry<String, String> header(String name, String value) {
        // a header's value is bytes: non-Latin-1 text goes as its UTF-8 bytes, CR and LF never (they end the header)
        return new AbstractMap.SimpleImmutableEntry<>(name, latin1(value).replace("\r", "").replace("\n", ""));
    }

    // --- bodies ---

    private byte[] json(ApiDocument.Operation operation, JsonNode schema, List<Map.Entry<String, String>> headers) {
        String contentType = chance(0.7) ? "application/json"
                : pick(null, "*/*", "application/json; charset=ISO-8859-1", "application/json;charset=utf-16",
                        "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data",
                        "application/problem+json", ";", "application/json, text/plain", "application/vnd.api+json",
                        "garbage/\u2603");
        if (contentType != null) {
            headers.add(header("Content-Type", contentType));
        }
        if (schema == null || chance(0.15)) {
            return invalidJson();
        }
        return json.writeValueAsBytes(value(operation, schema, "", 0));
    }

    private byte[] invalidJson() {
        return pick(() -> utf8(""), () -> utf8("{"), () -> utf8("{\"device_uuid\":"), () -> utf8("[]"),
                () -> utf8("null"), () -> utf8("\"text\""), () -> utf8("123"), () -> utf8("{\"a\":1,}"),
                () -> utf8("\uFEFF{}"), () -> utf8("{\"status\":\"online\"} trailing"),
                () -> new byte[] {(byte) 0xff, (byte) 0xfe, 0, '{'}, () -> utf8("{\"metadata\": 1e999999}"),
                () -> utf8("{\"device_uuid\": \"\\ud800\"}"), () -> utf8("[".repeat(5000)),
                () -> utf8("{\"metadata\":" + "{\"a\":".repeat(3000) + "1" + "}".repeat(3001)),
                () -> utf8("{\"status\":\"online\",\"status\":\"offline\"}"), () -> utf8("{\"status\": [\"online\"]}"),
                () -> utf8("{\"current_version\": 123, \"timezone\": {}}"),
                () -> utf8("{\"device_name\":\"" + "n".repeat(300_000) + "\"}"),
                () -> utf8("{\"status\":\"online\u0000\"}"), () -> utf8("{'status': 'online'}"));
    }

    /** A JSON value shaped by the schema, bent now and then. */
    private JsonNode value(ApiDocument.Operation operation, JsonNode schema, String name, int depth) {
        schema = operation.resolveSchema(schema);
        if (chance(0.06) || depth > 6) {
            return wrongType();
        }
        JsonNode choices = schema.has("oneOf") ? schema.get("oneOf") : schema.get("anyOf");
        if (choices != null) {
            return value(operation, pick(choices), name, depth);
        }
        List<String> types = types(schema);
        if (types.contains("null") && chance(0.15)) {
            return NODES.nullNode();
        }
        String type = types.stream().filter(t -> !t.equals("null")).findFirst().orElse("object");
        switch (type) {
            case "object":
                ObjectNode object = NODES.objectNode();
                schema.path("properties").properties().forEach(property -> {
                    if (chance(0.85)) {
                        object.set(property.getKey(), value(operation, property.getValue(), property.getKey(),
                                depth + 1));
                    }
                });
                if (schema.path("additionalProperties").isObject()) {
                    int entries = chance(0.03) ? 300 : random.nextInt(4);
                    for (int i = 0; i < entries; i++) {
                        object.set(pick("model", "os", "uptime_seconds", hostile(), "k" + i), wrongType());
                    }
                }
                if (chance(0.1)) {
                    object.set(pick("extra", "device_token", "id", "type", hostile()), wrongType());
                }
                return object;
            case "array":
                ArrayNode array = NODES.arrayNode();
                for (int i = random.nextInt(4); i > 0; i--) {
                    array.add(value(operation, schema.path("items"), name, depth + 1));
                }
                return array;
            case "integer":
            case "number":
                return pick(NODES.numberNode(0), NODES.numberNode(-1), NODES.numberNode(Long.MAX_VALUE),
                        NODES.numberNode(new java.math.BigInteger("99999999999999999999999")), NODES.numberNode(1.5));
            case "boolean":
                return NODES.booleanNode(random.nextBoolean());
            default:
                return NODES.stringNode(string(schema, name));
        }
    }

    private String string(JsonNode schema, String name) {
        if (schema.has("enum") && chance(0.75)) {
            JsonNode value = pick(schema.get("enum"));
            return value.isNull() ? hostile() : chance(0.1) ? value.asString().toUpperCase(Locale.ROOT)
                    : value.asString();
        }
        if (name.equals("device_uuid") || schema.path("format").asString().equals("uuid")) {
            return chance(0.6) ? pick(fixtures.deviceUuids()) : chance(0.5) ? UUID.randomUUID().toString() : hostile();
        }
        if (name.equals("timezone")) {
            return pick(() -> "UTC", () -> "Europe/Berlin", () -> "America/Los_Angeles", () -> "Mars/Olympus",
                    () -> "utc", () -> "+01:00", () -> "", this::hostile);
        }
        if (name.contains("version")) {
            return pick(() -> "v1.0.0", () -> "v9.0.0", () -> "1.0", () -> "v1.2.3-rc.1+b", this::hostile);
        }
        return chance(0.4) ? pick("kitchen", "online", "sha256 mismatch", "x") : hostile();
    }

    private JsonNode wrongType() {
        return pick(() -> NODES.nullNode(), () -> NODES.numberNode(7), () -> NODES.booleanNode(true),
                () -> NODES.stringNode(hostile()), () -> NODES.arrayNode().add("a").add(1),
                () -> NODES.objectNode().put("a", "b"), () -> NODES.numberNode(1e308));
    }

    private static List<String> types(JsonNode schema) {
        JsonNode type = schema.get("type");
        if (type == null) {
            return List.of(schema.has("properties") || schema.has("additionalProperties") ? "object" : "string");
        }
        if (type.isArray()) {
            List<String> types = new ArrayList<>();
            type.forEach(t -> types.add(t.asString()));
            return types;
        }
        return List.of(type.asString());
    }

    /** The create form: its documented parts, each present or not, with values from plausible to hostile. */
    private byte[] multipart(ApiDocument.Operation operation, List<Map.Entry<String, String>> headers) {
        String boundary = "fuzz" + Long.toHexString(random.nextLong());
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        JsonNode form = operation.requestBodies().get("multipart/form-data");
        form.path("properties").properties().forEach(part -> {
            if (!chance(0.85)) {
                return;
            }
            String name = part.getKey();
            body.writeBytes(utf8("--" + boundary + "\r\n"));
            if (part.getValue().path("format").asString().equals("binary")) {
                body.writeBytes(utf8("Content-Disposition: form-data; name=\"" + name + "\"; filename=\""
                        + pick("update.zip", "", "../x.zip", "\u00fc.zip") + "\"\r\n"
                        + pick("Content-Type: application/zip\r\n", "", "Content-Type: text/plain\r\n") + "\r\n"));
                body.writeBytes(pick(() -> fixtures.packageZip(), () -> new byte[0],
                        () -> Arrays.copyOf(fixtures.packageZip(), fixtures.packageZip().length / 2),
                        () -> randomBytes(random.nextInt(2000))));
            } else {
                body.writeBytes(utf8("Content-Disposition: form-data; name=\"" + name + "\"\r\n\r\n"));
                body.writeBytes(utf8(formValue(name, part.getValue())));
            }
            body.writeBytes(utf8("\r\n"));
        });
        if (chance(0.92)) {
            body.writeBytes(utf8("--" + boundary + "--\r\n"));
        }
        String contentType = chance(0.85) ? "multipart/form-data; boundary=" + boundary
                : pick(null, "multipart/form-data", "multipart/form-data; boundary=other", "application/json",
                        "*/*", "text/plain");
        if (contentType != null) {
            headers.add(header("Content-Type", contentType));
        }
        return chance(0.05) ? invalidJson() : body.toByteArray();
    }

    private String formValue(String name, JsonNode schema) {
        return switch (name) {
            case "version" -> pick(() -> "v9.0.0", () -> "v1.0.0", () -> "2.0", () -> "v99999999999.0.0",
                    this::hostile);
            case "system_packages" -> pick(() -> "", () -> "libopus0", () -> "libopus0,libopus-dev",
                    () -> "-oDebug::NoLocking=1", () -> "pkg-", () -> "zlib1.+", this::hostile);
            case "target_devices" -> pick(() -> pick(fixtures.deviceUuids()), () -> String.join(",",
                    fixtures.deviceUuids()), () -> UUID.randomUUID().toString(), () -> "a,b", this::hostile);
            case "description" -> pick(() -> "fixes", () -> "d".repeat(5000), this::hostile);
            default -> string(schema, name);
        };
    }

    // --- hostile text ---

    /** Text that has broken servers: empty, NUL, control and odd Unicode, injections, very long. */
    private String hostile() {
        return pick(() -> "", () -> " ", () -> "\u0000", () -> "a\u0000b", () -> "%00",
                () -> pick("\u00e9", "\ud83c\udf89", "\u202e", "\u4e2d\u6587", "e\u0301", "\ufeff"),
                () -> "../../etc/passwd", () -> "'; drop table devices; --", () -> "${jndi:ldap://127.0.0.1/x}",
                () -> "a".repeat(pick(300, 5000, 70_000)), () -> "\t\r\n\u0007", () -> "\ud800",
                () -> randomAscii(1 + random.nextInt(30)), () -> pick("null", "-1", "1e999", "true", "{}"));
    }

    private String randomAscii(int length) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++) {
            text.append((char) (0x20 + random.nextInt(0x5f)));
        }
        return text.toString();
    }

    private byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) random.nextInt(256);
        }
        return bytes;
    }

    /** Percent-encodes everything but the unreserved characters (RFC 3986), from UTF-8. */
    static String percentEncode(String value) {
        StringBuilder out = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c < 0x80 && (Character.isLetterOrDigit(c) || "-._~".indexOf(c) >= 0)) {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", (int) c));
            }
        }
        return out.toString();
    }

    /** The UTF-8 bytes of the text, one char each, for a request line or header written as ISO-8859-1. */
    private static String latin1(String value) {
        return new String(value.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    // --- choosing ---

    private boolean chance(double probability) {
        return random.nextDouble() < probability;
    }

    @SafeVarargs
    private <T> T pick(T... choices) {
        return choices[random.nextInt(choices.length)];
    }

    private <T> T pick(List<T> choices) {
        return choices.get(random.nextInt(choices.size()));
    }

    private JsonNode pick(JsonNode array) {
        return array.get(random.nextInt(array.size()));
    }

    @SafeVarargs
    private <T> T pick(Supplier<T>... choices) {
        return choices[random.nextInt(choices.length)].get();
    }
}
