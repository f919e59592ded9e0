package dev.javia.ota.server.testing;

import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.dialect.Dialects;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The server's own API document (/v3/api-docs), read by tests to hold real answers against it: the status must be
 * documented for the operation, the Content-Type one it lists, the body valid for the schema. The schemas are made
 * strict first (an object allows only the properties it lists), so that a field the document forgot fails too.
 */
public final class ApiDocument {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String PROBLEM_JSON = "application/problem+json";

    private final JsonNode root;
    private final ObjectNode strictComponents;
    private final List<Operation> operations = new ArrayList<>();
    private final SchemaRegistry registry = SchemaRegistry.withDefaultDialect(Dialects.getOpenApi31(),
            builder -> builder.schemaRegistryConfig(
                    SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build()));
    private final Map<String, Schema> schemas = new ConcurrentHashMap<>();

    private ApiDocument(JsonNode root) {
        this.root = root;
        this.strictComponents = (ObjectNode) strict(root.get("components").deepCopy());
        root.get("paths").properties().forEach(path -> path.getValue().properties().forEach(method ->
                operations.add(new Operation(method.getKey().toUpperCase(Locale.ROOT), path.getKey(),
                        method.getValue()))));
    }

    /** Fetches the document from the running server (no key: it is public). */
    public static ApiDocument of(HttpApi api) {
        HttpApi.Response response = api.get("/v3/api-docs", null);
        if (response.status() != 200) {
            throw new IllegalStateException("the API document did not load: " + response);
        }
        return new ApiDocument(response.json());
    }

    public JsonNode json() {
        return root;
    }

    public List<Operation> operations() {
        return operations;
    }

    /** The documented operation a request reaches: literal path segments win over templates, as in Spring. */
    public Optional<Operation> operation(String method, String path) {
        return operations.stream().filter(op -> op.method().equals(method) && op.matches(path))
                .max(Comparator.comparingInt(op -> op.path().replaceAll("\\{[^}]+}", "").length()));
    }

    /** What is wrong with this answer to {@code method path} by the document; empty when nothing is. */
    public List<String> violations(String method, String path, int status, String contentType, byte[] body) {
        Optional<Operation> operation = operation(method, path);
        if (operation.isEmpty()) {
            return List.of("no operation " + method + " " + path + " in the document");
        }
        JsonNode response = operation.get().response(status);
        if (response == null) {
            return List.of("status " + status + " is not documented for " + operation.get());
        }
        JsonNode content = response.get("content");
        if (content == null || content.isEmpty()) {
            return body.length == 0 || method.equals("HEAD") ? List.of()
                    : List.of(status + " has a body where the document says none: " + preview(body));
        }
        String mediaType = contentType == null ? "" : contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
        JsonNode media = content.get(mediaType);
        if (media == null) {
            return List.of(status + " answered Content-Type '" + contentType + "'; the document lists "
                    + content.propertyNames());
        }
        if (!mediaType.endsWith("json") || method.equals("HEAD")) {
            return List.of();
        }
        return validate(operation.get() + " " + status + " " + mediaType, media.get("schema"), body, status + " body");
    }

    private List<String> validate(String key, JsonNode schema, byte[] body, String what) {
        JsonNode value;
        try {
            value = JSON.readTree(body);
        } catch (JacksonException e) {
            return List.of(what + " is not JSON: " + preview(body));
        }
        return schemas.computeIfAbsent(key, k -> compile(schema)).validate(value).stream()
                .map(error -> what + " " + error.getInstanceLocation() + ": " + error.getMessage()).toList();
    }

    /** What is wrong with a JSON request body by the operation's documented schema; empty when nothing is. */
    public List<String> requestViolations(Operation operation, byte[] body) {
        JsonNode media = operation.json().path("requestBody").path("content").get("application/json");
        if (media == null) {
            return List.of(operation + " takes no JSON body");
        }
        return validate(operation + " request", media.get("schema"), body, "request");
    }

    /**
     * What is wrong with an error answer by RFC 9457 and the document's Problem schema: its Content-Type, its
     * fields, a status that differs from the HTTP one, a detail without words. Empty when nothing is.
     */
    public List<String> problemViolations(int status, String contentType, byte[] body) {
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith(PROBLEM_JSON)) {
            return List.of(status + " is not " + PROBLEM_JSON + " but '" + contentType + "': " + preview(body));
        }
        JsonNode problem;
        try {
            problem = JSON.readTree(body);
        } catch (JacksonException e) {
            return List.of(status + " problem is not JSON: " + preview(body));
        }
        List<String> found = new ArrayList<>(schemas.computeIfAbsent("Problem",
                        key -> compile(JSON.createObjectNode().put("$ref", "#/components/schemas/Problem")))
                .validate(problem).stream()
                .map(error -> status + " problem " + error.getInstanceLocation() + ": " + error.getMessage()).toList());
        if (problem.path("status").asInt() != status) {
            found.add(status + " problem says status " + problem.path("status"));
        }
        if (problem.path("detail").asString("").isBlank()) {
            found.add(status + " problem has no detail");
        }
        return found;
    }

    private Schema compile(JsonNode schema) {
        ObjectNode document = JSON.createObjectNode();
        document.set("components", strictComponents);
        document.setAll((ObjectNode) strict(schema.deepCopy()));
        return registry.getSchema(document);
    }

    private JsonNode resolve(JsonNode node) {
        JsonNode ref = node.get("$ref");
        if (ref == null) {
            return node;
        }
        JsonNode target = root.at(ref.asString().substring(1));
        if (target.isMissingNode()) {
            throw new IllegalStateException("the document refers to " + ref.asString() + ", which it lacks");
        }
        return resolve(target);
    }

    /** Every object schema that lists its properties allows no others (unless it says what else it allows). */
    private static JsonNode strict(JsonNode node) {
        if (node instanceof ObjectNode object) {
            if (object.get("properties") instanceof ObjectNode && !object.has("additionalProperties")) {
                object.put("additionalProperties", false);
            }
            object.properties().forEach(entry -> strict(entry.getValue()));
        } else if (node.isArray()) {
            node.forEach(ApiDocument::strict);
        }
        return node;
    }

    private static String preview(byte[] body) {
        String text = new String(body, java.nio.charset.StandardCharsets.UTF_8);
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }

    /** One documented operation. */
    public final class Operation {

        private final String method;
        private final String path;
        private final JsonNode node;
        private final Pattern pattern;

        Operation(String method, String path, JsonNode node) {
            this.method = method;
            this.path = path;
            this.node = node;
            this.pattern = Pattern.compile("^" + path.replaceAll("\\{[^}]+}", "\u0000")
                    .replace(".", "\\.").replace("\u0000", "[^/]+") + "$");
        }

        public String method() {
            return method;
        }

        /** The path template, e.g. /api/v1/devices/{deviceUuid}. */
        public String path() {
            return path;
        }

        public String id() {
            return node.path("operationId").asString();
        }

        public JsonNode json() {
            return node;
        }

        boolean matches(String concretePath) {
            return pattern.matcher(concretePath).matches();
        }

        /** The documented answer for a status (a reference followed), or null. */
        public JsonNode response(int status) {
            JsonNode response = node.path("responses").get(String.valueOf(status));
            return response == null ? null : resolve(response);
        }

        public List<String> statuses() {
            return List.copyOf(node.path("responses").propertyNames());
        }

        /** The documented success, e.g. 201. */
        public int success() {
            return statuses().stream().filter(code -> code.startsWith("2")).findFirst().map(Integer::parseInt)
                    .orElseThrow(() -> new IllegalStateException(this + " documents no success"));
        }

        public List<JsonNode> parameters() {
            List<JsonNode> parameters = new ArrayList<>();
            node.path("parameters").forEach(parameter -> parameters.add(resolve(parameter)));
            return parameters;
        }

        /** The request body's media types and their schemas (references followed), in document order. */
        public Map<String, JsonNode> requestBodies() {
            Map<String, JsonNode> bodies = new java.util.LinkedHashMap<>();
            node.path("requestBody").path("content").properties()
                    .forEach(media -> bodies.put(media.getKey(), resolveSchema(media.getValue().path("schema"))));
            return bodies;
        }

        /** A schema with its top-level reference followed (nested ones stay). */
        public JsonNode resolveSchema(JsonNode schema) {
            return resolve(schema);
        }

        @Override
        public String toString() {
            return method + " " + path;
        }
    }
}
