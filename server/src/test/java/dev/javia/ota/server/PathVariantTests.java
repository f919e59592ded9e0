package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.RawHttp;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every route, spelt every way an attacker or a careless client spells it, with every kind of credential: only the
 * credentials a route admits ever get a 2xx; paths that are not canonical (';', percent-escapes, '\', '//', dot
 * segments) are refused with 400 before routing, whoever asks; nothing answers 5xx and every error is a problem detail. Requests go out as raw bytes
 * ({@code curl --path-as-is}), so that no client normalises them first.
 */
class PathVariantTests extends ApiTestSupport {

    enum Credential { NONE, GARBAGE, ENROLLMENT, OWN_DEVICE, OTHER_DEVICE, ADMIN }

    private static final Set<Credential> PUBLIC = EnumSet.allOf(Credential.class);
    private static final Set<Credential> REGISTRATION = EnumSet.of(Credential.ENROLLMENT, Credential.ADMIN);
    private static final Set<Credential> OPERATOR = EnumSet.of(Credential.ADMIN);
    private static final Set<Credential> OWN_DEVICE = EnumSet.of(Credential.OWN_DEVICE, Credential.ADMIN);
    private static final Set<Credential> DEVICES = EnumSet.of(Credential.OWN_DEVICE, Credential.OTHER_DEVICE,
            Credential.ADMIN);

    /** One route of the API: its canonical path and who may call it. */
    record Route(String method, String path, Set<Credential> admitted, String contentType, byte[] body) {
    }

    private TestDevice own;
    private TestDevice other;
    private String updateId;
    private String webhookId;
    private RawHttp raw;
    private final List<String> failures = new ArrayList<>();
    private int requests;

    @BeforeEach
    void fleet() {
        own = register("UTC");
        other = register("UTC");
        updateId = publish("v1.1.0", "urgent", null, own.uuid()).json().get("update").get("id").asText();
        webhookId = api.post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", "http://127.0.0.1:9/hook")).json()
                .get("webhook").get("id").asText();
        raw = new RawHttp("127.0.0.1", port);
    }

    @Test
    void onlyAdmittedCredentialsOnCanonicalPathsGetThrough() {
        for (Route route : routes()) {
            for (String variant : variants(route.path())) {
                for (Credential credential : Credential.values()) {
                    HttpApi.Response answer = send(route, route.method(), variant, credential);
                    boolean through = answer.status() >= 200 && answer.status() < 400;
                    if (through && !route.admitted().contains(credential)) {
                        fail(route.method(), variant, credential, answer, "got through");
                    }
                    if (isNotCanonical(variant) && answer.status() != 400) {
                        fail(route.method(), variant, credential, answer, "was not refused with 400");
                    }
                    checkAnswer(route.method(), variant, credential, answer);
                }
            }
        }
        assertNoFailures();
        // nothing the refused requests asked for happened: only the admin's one canonical upload was published, and
        // the device was not taken over by a registration of its uuid
        assertThat(jdbc.queryForList("select version from updates order by created_at", String.class))
                .containsExactly("v1.1.0", "v6.6.6");
        assertThat(api.get(ApiPaths.device(own.uuid()), own.token()).status()).isEqualTo(200);
    }

    @Test
    void otherMethodsGetThroughForNoOne() {
        // a path with several routes (GET and PATCH of a device) is tested with the methods none of them takes
        // OPTIONS of such a path is for whoever one of its routes admits
        Set<String> declared = new HashSet<>();
        Map<String, Set<Credential>> admittedToPath = new HashMap<>();
        for (Route route : routes()) {
            declared.add(route.method() + " " + route.path());
            admittedToPath.computeIfAbsent(route.path(), path -> EnumSet.noneOf(Credential.class))
                    .addAll(route.admitted());
        }
        for (Route route : routes()) {
            for (String method : List.of("HEAD", "OPTIONS", "TRACE", "PUT", "DELETE", "PATCH", "POST", "GET")) {
                String asDeclared = method.equals("HEAD") ? "GET" : method;
                if (declared.contains(asDeclared + " " + route.path())) {
                    continue;
                }
                for (Credential credential : Credential.values()) {
                    if (credential == Credential.ADMIN && route.admitted() != PUBLIC) {
                        // an admin may ask OPTIONS of anything, and gets 405 for the rest
                        continue;
                    }
                    HttpApi.Response answer = send(route, method, route.path(), credential);
                    boolean through = answer.status() >= 200 && answer.status() < 400;
                    if (through && route.admitted() != PUBLIC && !method.equals("OPTIONS")) {
                        fail(method, route.path(), credential, answer, "got through");
                    }
                    if (through && method.equals("OPTIONS") && !admittedToPath.get(route.path()).contains(credential)) {
                        fail(method, route.path(), credential, answer, "got through");
                    }
                    checkAnswer(method, route.path(), credential, answer);
                }
            }
        }
        assertNoFailures();
    }

    @Test
    void withoutAKeyOnlyHealthInfoAndTheApiDocumentAnswer() {
        HttpApi.Response dashboard = raw.send("GET", "/", null);
        assertThat(dashboard.status()).as("the dashboard sends to its sign-in page").isEqualTo(302);
        assertThat(dashboard.header("Location")).endsWith("/sign-in");
        for (String path : List.of("/api", "/api/", "/api/v1", "/api/v1/", "/actuator", "/actuator/env",
                "/actuator/beans", "/actuator/health/db", "/error", "/api/v1/updates", "/api/v1/devices",
                "/swagger-ui/index.html", "/v3/api-docs/swagger-config")) {
            HttpApi.Response answer = raw.send("GET", path, null);
            boolean documentation = path.startsWith("/swagger-ui/") || path.startsWith("/v3/api-docs");
            if (answer.status() < 400 && !documentation && !path.equals("/actuator/health/db")) {
                fail("GET", path, Credential.NONE, answer, "answered without a key");
            }
            checkAnswer("GET", path, Credential.NONE, answer);
        }
        assertNoFailures();
    }

    private List<Route> routes() {
        String device = ApiPaths.device(own.uuid());
        return List.of(
                new Route("GET", "/actuator/health", PUBLIC, null, null),
                new Route("GET", "/actuator/info", PUBLIC, null, null),
                new Route("GET", "/v3/api-docs", PUBLIC, null, null),
                new Route("POST", ApiPaths.REGISTER, REGISTRATION, "application/json", null),
                // anyone may ask; for a device without a key the answer is 404, so nothing gets through
                new Route("POST", ApiPaths.CHALLENGE, PUBLIC, "application/json",
                        json("{\"device_uuid\":\"" + own.uuid() + "\"}")),
                // the other device's: its own token on its own reset is refused, and an admin's would revoke it
                new Route("POST", ApiPaths.resetDeviceKey(other.uuid()), OPERATOR, "application/json", json("{}")),
                new Route("GET", ApiPaths.DEVICES, OPERATOR, null, null),
                new Route("GET", ApiPaths.BASE + "/devices", OPERATOR, null, null),
                new Route("GET", device, OWN_DEVICE, null, null),
                new Route("POST", ApiPaths.heartbeat(own.uuid()), OWN_DEVICE, "application/json",
                        json("{\"current_version\":\"v1.0.0\"}")),
                new Route("GET", ApiPaths.check(own.uuid()), OWN_DEVICE, null, null),
                new Route("GET", ApiPaths.deviceUpdates(own.uuid()), OWN_DEVICE, null, null),
                new Route("PATCH", ApiPaths.deviceStatus(own.uuid()), OWN_DEVICE, "application/json",
                        json("{\"status\":\"online\"}")),
                new Route("PATCH", device, OPERATOR, "application/json",
                        json("{\"update_window\":{\"start_hour\":3}}")),
                new Route("GET", ApiPaths.UPDATES, OPERATOR, null, null),
                new Route("POST", ApiPaths.CREATE_UPDATE, OPERATOR, null, null),
                new Route("GET", ApiPaths.update(updateId), OPERATOR, null, null),
                new Route("GET", ApiPaths.updateDevices(updateId), OPERATOR, null, null),
                new Route("POST", ApiPaths.installNow(updateId, own.uuid()), OPERATOR, "application/json",
                        json("{}")),
                new Route("GET", ApiPaths.download(updateId), DEVICES, null, null),
                new Route("POST", ApiPaths.updateStatus(updateId), DEVICES, "application/json",
                        json("{\"device_uuid\":\"" + own.uuid() + "\",\"status\":\"failed\",\"error_message\":\"x\"}")),
                new Route("POST", ApiPaths.WEBHOOKS, OPERATOR, "application/json",
                        json("{\"url\":\"http://127.0.0.1:9/hook\"}")),
                new Route("GET", ApiPaths.WEBHOOKS, OPERATOR, null, null),
                new Route("GET", ApiPaths.webhook(webhookId), OPERATOR, null, null),
                new Route("PATCH", ApiPaths.webhook(webhookId), OPERATOR, "application/json",
                        json("{\"enabled\":false}")),
                new Route("GET", ApiPaths.webhookDeliveries(webhookId), OPERATOR, null, null),
                new Route("DELETE", ApiPaths.webhook(webhookId), OPERATOR, null, null));
    }

    /** The canonical path and the spellings that must not reach it. */
    static List<String> variants(String path) {
        Set<String> variants = new LinkedHashSet<>();
        variants.add(path);
        List<Integer> slashes = new ArrayList<>();
        for (int i = 0; i < path.length(); i++) {
            if (path.charAt(i) == '/') {
                slashes.add(i);
            }
        }
        for (int slash : slashes) {
            String before = path.substring(0, slash);
            String after = path.substring(slash + 1);
            int end = after.indexOf('/');
            String segment = end < 0 ? after : after.substring(0, end);
            String rest = end < 0 ? "" : after.substring(end);
            variants.add(before + "//" + after);
            variants.add(before + "/./" + after);
            variants.add(before + "/x/../" + after);
            variants.add(before + "/%2e/" + after);
            variants.add(before + "\\" + after);
            variants.add(before + "%5C" + after);
            if (slash > 0) {
                variants.add(before + "%2F" + after);
                variants.add(before + "%2f" + after);
            }
            if (!segment.isEmpty()) {
                variants.add(before + "/" + segment + ";x=1" + rest);
                variants.add(before + "/" + segment + ";" + rest);
                variants.add(before + "/" + percentEncodeFirst(segment) + rest);
                variants.add(before + "/" + segment.toUpperCase(Locale.ROOT) + rest);
            }
        }
        variants.add(path.endsWith("/") ? path.substring(0, path.length() - 1) + "/;" : path + "/");
        variants.add(path + "%00");
        variants.add(path + "%20");
        variants.add(path + "/..");
        variants.add(path + "/.");
        variants.add("/./" + path.substring(1));
        variants.add(path + "?x=%ff%fe");
        variants.add(path.toUpperCase(Locale.ROOT));
        return List.copyOf(variants);
    }

    private static String percentEncodeFirst(String segment) {
        return String.format("%%%02X", (int) segment.charAt(0)) + segment.substring(1);
    }

    /** Spellings no route has (and a query that is not UTF-8): refused before anything is routed. */
    private static boolean isNotCanonical(String variant) {
        String path = variant.contains("?") ? variant.substring(0, variant.indexOf('?')) : variant;
        return variant.contains("?x=%ff") || path.contains(";") || path.contains("%") || path.contains("\\") || path.contains("//")
                || path.contains("/./") || path.contains("/../") || path.endsWith("/.") || path.endsWith("/..");
    }

    private HttpApi.Response send(Route route, String method, String target, Credential credential) {
        requests++;
        List<String> headers = new ArrayList<>();
        String key = key(credential);
        if (key != null) {
            headers.add(ApiPaths.API_KEY_HEADER);
            headers.add(key);
        }
        byte[] body = route.body();
        String contentType = route.contentType();
        if (route.path().equals(ApiPaths.REGISTER)) {
            // a refused registration names a device that exists: a success would take it over
            String uuid = route.admitted().contains(credential) && target.equals(route.path()) ? newDeviceUuid()
                    : own.uuid();
            body = json("{\"device_uuid\":\"" + uuid + "\",\"timezone\":\"UTC\"}");
        } else if (route.path().equals(ApiPaths.CREATE_UPDATE)) {
            String boundary = "matrix-boundary";
            contentType = "multipart/form-data; boundary=" + boundary;
            body = multipart(boundary);
        }
        if (contentType != null && !method.equals("GET") && !method.equals("HEAD")) {
            headers.add("Content-Type");
            headers.add(contentType);
        } else {
            body = method.equals("GET") || method.equals("HEAD") ? null : body;
        }
        return raw.send(method, target, body, headers.toArray(String[]::new));
    }

    private String key(Credential credential) {
        return switch (credential) {
            case NONE -> null;
            case GARBAGE -> "dvt_this-is-not-a-token-anyone-was-given";
            case ENROLLMENT -> ENROLLMENT;
            case OWN_DEVICE -> own.token();
            case OTHER_DEVICE -> other.token();
            case ADMIN -> ADMIN;
        };
    }

    private byte[] multipart(String boundary) {
        Path zip = samplePackage("v6.6.6", UpdateType.URGENT, null);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String[] field : new String[][] {{"version", "v6.6.6"}, {"update_type", "urgent"}, {"description", "x"}}) {
            out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field[0] + "\"\r\n\r\n"
                    + field[1] + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"package\"; filename=\"u.zip\""
                + "\r\nContent-Type: application/zip\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        try {
            out.writeBytes(Files.readAllBytes(zip));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private void checkAnswer(String method, String target, Credential credential, HttpApi.Response answer) {
        if (answer.status() >= 500) {
            fail(method, target, credential, answer, "answered 5xx");
        } else if (answer.status() >= 400 && !method.equals("HEAD")) {
            String type = answer.header("Content-Type");
            if (type == null || !type.startsWith("application/problem+json")) {
                fail(method, target, credential, answer, "is not a problem detail");
            } else if (!answer.json().path("detail").isString() || answer.json().path("detail").asString().isBlank()) {
                fail(method, target, credential, answer, "has no detail");
            }
        }
    }

    private void fail(String method, String target, Credential credential, HttpApi.Response answer, String what) {
        String body = answer.body();
        failures.add(method + " " + target + " with " + credential + " " + what + ": " + answer.status() + " "
                + body.substring(0, Math.min(body.length(), 160)).replace('\n', ' '));
    }

    private void assertNoFailures() {
        assertThat(failures).withFailMessage("%d of %d requests went wrong; the first ones:%n%s", failures.size(),
                requests, String.join("\n", failures.subList(0, Math.min(40, failures.size())))).isEmpty();
    }

    private static byte[] json(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
