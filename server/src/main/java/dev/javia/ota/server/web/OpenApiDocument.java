package dev.javia.ota.server.web;

import dev.javia.ota.protocol.api.ApiPaths;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.servers.Server;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The API document at /v3/api-docs: what springdoc reads from the controllers, plus what it cannot see there: the
 * problem-detail answers every operation can give, and which fields an answer always carries. {@link WireSchemas}
 * names the fields as the wire does. The controllers name their own error answers with
 * {@code @ApiResponse(ref = ...)} and the constants below.
 */
@Configuration(proxyBeanMethods = false)
public class OpenApiDocument {

    public static final String BAD_REQUEST = "#/components/responses/BadRequest";
    public static final String NOT_FOUND = "#/components/responses/NotFound";
    public static final String CONFLICT = "#/components/responses/Conflict";
    public static final String PAYLOAD_TOO_LARGE = "#/components/responses/PayloadTooLarge";
    public static final String SERVER_ERROR = "#/components/responses/ServerError";

    public static final String DEVICE_UUID = "the device's UUID7, as it registered";
    /** The two audiences of the API, as the document's tags: what the agent calls, and what an operator calls. */
    public static final String DEVICE = "device";
    public static final String OPERATOR = "operator";
    public static final String PROBLEM_JSON = "application/problem+json";
    public static final String PROBLEM = "#/components/schemas/Problem";
    private static final String SCHEMAS = "#/components/schemas/";
    private static final String RESPONSES = "#/components/responses/";
    private static final String API_KEY = ApiPaths.API_KEY_HEADER;

    /**
     * The fields a request body must carry (the server answers 400 without them); the server checks them itself,
     * in DeviceRegistry, UpdateProgress and Webhooks, so that the 400 says what to send.
     */
    private static final Map<String, List<String>> REQUIRED_IN_REQUESTS = Map.of(
            "RegisterDevice", List.of("device_uuid", "timezone"),
            "ChallengeRequest", List.of("device_uuid"),
            "DeviceStatusChange", List.of("status"),
            "StatusReport", List.of("status"),
            "WebhookCreate", List.of("url"));

    @Bean
    OpenAPI otaOpenApi() {
        return new OpenAPI()
                .info(new Info().title("Javia OTA API").version("v1").description("""
                        Device registry, update distribution and status tracking for a fleet of Raspberry Pi voice \
                        assistants. Every call under /api/ carries X-API-Key: an admin key (everything), the \
                        enrollment key (registration only) or a device token (that device's own endpoints). Bodies \
                        are JSON with snake_case names; every error is an RFC 9457 problem detail \
                        (application/problem+json) whose detail says what to do. Example bodies: docs/api/examples/ \
                        in the source."""))
                // relative: the document is right behind a proxy or a load balancer too
                .servers(List.of(new Server().url("/")))
                .components(new Components()
                        .addSecuritySchemes(API_KEY, new SecurityScheme()
                                .type(SecurityScheme.Type.APIKEY).in(SecurityScheme.In.HEADER).name(API_KEY)
                                .description("an admin key, the enrollment key or a device token"))
                        .addSchemas("Problem", problemSchema())
                        .addResponses("BadRequest", problem("""
                                The request is malformed: a field, a parameter or the body is missing or invalid, or \
                                the request itself is (a header too large, an unreadable path)."""))
                        .addResponses("Unauthorized", problem("""
                                No X-API-Key header, or a key this server does not know. A device whose token was lost \
                                registers again with the enrollment key."""))
                        .addResponses("Forbidden", problem("""
                                The key is known but may not call this: the enrollment key only registers, a device \
                                token opens only its own device's endpoints and downloads. A device bound to a key \
                                registers again only with that key's proof."""))
                        .addResponses("NotFound", problem("No such device, update or webhook."))
                        .addResponses("NotAcceptable", problem("""
                                The Accept header excludes what this operation answers (JSON, or the ZIP of a \
                                download)."""))
                        .addResponses("Conflict", problem("""
                                The request conflicts with what is stored: a version already published or older than \
                                the newest, a status change an update cannot make, or a write at the same moment."""))
                        .addResponses("PayloadTooLarge", problem("""
                                The body or the package is larger than the server accepts."""))
                        .addResponses("UnsupportedMediaType", problem("""
                                The Content-Type is not the one this operation reads."""))
                        .addResponses("ServerError", problem("""
                                The server failed; its log has the details. Nothing was changed by this request."""))
                        .addResponses("Unavailable", problem("""
                                The database is unavailable; nothing was changed. Send the request again after \
                                Retry-After seconds.""")
                                .addHeaderObject("Retry-After", new Header().description("seconds to wait")
                                        .schema(new IntegerSchema()))))
                .addSecurityItem(new SecurityRequirement().addList(API_KEY))
                .tags(List.of(
                        new io.swagger.v3.oas.models.tags.Tag().name(DEVICE).description("""
                                What the agent on each Pi calls with its device token (registration: the enrollment \
                                key): register, heartbeat, update check, status reports, download."""),
                        new io.swagger.v3.oas.models.tags.Tag().name(OPERATOR).description("""
                                What an operator calls with an admin key: the fleet, one device, publishing, one \
                                update with its devices and failures, install now, webhooks and their deliveries.""")));
    }

    private static Schema<?> problemSchema() {
        return new ObjectSchema()
                .description("An RFC 9457 problem detail.")
                .addProperty("type", new StringSchema().format("uri-reference")._default("about:blank")
                        .description("absent: about:blank, the status says it all"))
                .addProperty("title", new StringSchema().description("the status's reason phrase"))
                .addProperty("status", new IntegerSchema().description("the HTTP status"))
                .addProperty("detail", new StringSchema().description("what went wrong and what to do"))
                .addProperty("instance", new StringSchema().format("uri-reference")
                        .description("the path that was called"))
                .required(List.of("title", "status", "detail"));
    }

    private static ApiResponse problem(String description) {
        return new ApiResponse().description(description).content(new Content()
                .addMediaType(PROBLEM_JSON, new MediaType().schema(new Schema<>().$ref(PROBLEM))));
    }

    @Bean
    WireSchemas wireSchemas() {
        return new WireSchemas();
    }

    /** What every operation can answer (400, 401, 403, 406, 500, 503), and what springdoc cannot tell. */
    @Bean
    OpenApiCustomizer everyAnswer() {
        return openApi -> {
            dropSlashlessTwins(openApi);
            openApi.getPaths().forEach((path, item) -> {
                if (path.startsWith(ApiPaths.BASE + "/")) {
                    item.readOperations().forEach(OpenApiDocument::addCommonAnswers);
                }
            });
            Map<String, Schema> schemas = openApi.getComponents().getSchemas();
            for (String name : answerSchemas(openApi)) {
                Schema<?> schema = schemas.get(name);
                if (schema.getProperties() != null) {
                    // the server writes every field of an answer, null or not (see protocol's @Nullable)
                    schema.setRequired(new ArrayList<>(schema.getProperties().keySet()));
                }
            }
            REQUIRED_IN_REQUESTS.forEach((name, fields) -> schemas.get(name).setRequired(fields));
        };
    }

    /**
     * {@code /api/v1/devices} and {@code /api/v1/devices/} are one operation; the document keeps the seed's path
     * (the one in {@link ApiPaths}), so that a generated client has one method for it.
     */
    private static void dropSlashlessTwins(OpenAPI openApi) {
        List<String> twins = openApi.getPaths().keySet().stream()
                .filter(path -> openApi.getPaths().containsKey(path + "/")).toList();
        twins.forEach(openApi.getPaths()::remove);
    }

    private static void addCommonAnswers(Operation operation) {
        var responses = operation.getResponses();
        // any request can be malformed below the operation: a header too large, an unreadable path
        responses.putIfAbsent("400", new ApiResponse().$ref(BAD_REQUEST));
        responses.putIfAbsent("401", new ApiResponse().$ref(RESPONSES + "Unauthorized"));
        responses.putIfAbsent("403", new ApiResponse().$ref(RESPONSES + "Forbidden"));
        responses.putIfAbsent("406", new ApiResponse().$ref(RESPONSES + "NotAcceptable"));
        if (operation.getRequestBody() != null) {
            responses.putIfAbsent("413", new ApiResponse().$ref(RESPONSES + "PayloadTooLarge"));
            responses.putIfAbsent("415", new ApiResponse().$ref(RESPONSES + "UnsupportedMediaType"));
        }
        responses.putIfAbsent("500", new ApiResponse().$ref(SERVER_ERROR));
        responses.putIfAbsent("503", new ApiResponse().$ref(RESPONSES + "Unavailable"));
        // numeric order, so that Swagger UI lists 2xx before 4xx
        Map<String, ApiResponse> sorted = new LinkedHashMap<>();
        responses.keySet().stream().sorted().forEach(code -> sorted.put(code, responses.get(code)));
        responses.clear();
        responses.putAll(sorted);
    }

    /** The component schemas an answer can contain, following references from every 2xx body. */
    private static Set<String> answerSchemas(OpenAPI openApi) {
        Set<String> found = new HashSet<>();
        for (PathItem item : openApi.getPaths().values()) {
            for (Operation operation : item.readOperations()) {
                operation.getResponses().forEach((code, response) -> {
                    if (code.startsWith("2") && response.getContent() != null) {
                        response.getContent().values().forEach(media -> collect(media.getSchema(), openApi, found));
                    }
                });
            }
        }
        return found;
    }

    private static void collect(Schema<?> schema, OpenAPI openApi, Set<String> found) {
        if (schema == null) {
            return;
        }
        if (schema.get$ref() != null && schema.get$ref().startsWith(SCHEMAS)) {
            String name = schema.get$ref().substring(SCHEMAS.length());
            if (found.add(name)) {
                collect(openApi.getComponents().getSchemas().get(name), openApi, found);
            }
        }
        collect(schema.getItems(), openApi, found);
        if (schema.getAdditionalProperties() instanceof Schema<?> values) {
            collect(values, openApi, found);
        }
        if (schema.getProperties() != null) {
            schema.getProperties().values().forEach(property -> collect(property, openApi, found));
        }
        for (List<Schema> group : new List[] {schema.getAnyOf(), schema.getOneOf(), schema.getAllOf()}) {
            if (group != null) {
                group.forEach(member -> collect(member, openApi, found));
            }
        }
    }
}
