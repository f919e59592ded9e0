package dev.javia.ota.packager;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateCreated;
import dev.javia.ota.protocol.api.UpdatePage;
import dev.javia.ota.protocol.api.UpdateView;
import dev.javia.ota.protocol.pkg.PackageLayout;
import dev.javia.ota.protocol.pkg.Version;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The calls the packager makes: the newest published update, the server's size limit, and publishing one. Every
 * refusal becomes a {@link PackagerException} carrying the server's own problem {@code detail}; a broken upload, and
 * a 502/503/504 from a proxy in front of the server, are retried with a growing pause.
 */
final class UpdateServer {

    private static final JsonMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration LIST_TIMEOUT = Duration.ofSeconds(30);
    /** The slowest upload link worth waiting for: a Pi fleet's operator may publish over a phone. */
    private static final long SLOWEST_BYTES_PER_SECOND = 32 * 1024;

    /** What is published besides the file. */
    record Publication(String version, String description, String updateType, List<String> systemPackages,
                       List<String> targetDevices, String sha256) {
    }

    private final ServerSettings settings;
    private final PackagerEnvironment environment;
    private final PrintWriter err;
    private final int retries;
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(CONNECT_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    UpdateServer(ServerSettings settings, PackagerEnvironment environment, PrintWriter err, int retries) {
        this.settings = settings;
        this.environment = environment;
        this.err = err;
        this.retries = retries;
    }

    URI baseUrl() {
        return settings.baseUrl();
    }

    /** The server's package size limit from {@code GET /actuator/info}; empty when the server does not say. */
    OptionalLong maxPackageBytes() {
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl() + "/actuator/info")).timeout(LIST_TIMEOUT)
                .header("Accept", "application/json").GET().build();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode limit = response.statusCode() == 200
                    ? JSON.readTree(response.body()).path("ota").path("max_package_bytes") : null;
            return limit != null && limit.canConvertToLong() ? OptionalLong.of(limit.asLong()) : OptionalLong.empty();
        } catch (IOException | JacksonException e) {
            return OptionalLong.empty();
        } catch (InterruptedException e) {
            throw interrupted();
        }
    }

    /**
     * The newest published update (none on an empty server): the first of the list's first page, which is the newest
     * version. A server older than the paged list ignores the query and answers every update as an array; the
     * caller takes the newest of them all the same.
     */
    List<UpdateView> newestUpdates() {
        return updates("?size=1");
    }

    /** {@code GET /api/v1/updates/} with this query: the page's updates, or every update from an older server. */
    private List<UpdateView> updates(String query) {
        HttpRequest request = request(ApiPaths.UPDATES + query).timeout(LIST_TIMEOUT).GET().build();
        HttpResponse<String> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            throw interrupted();
        }
        if (response.statusCode() != 200) {
            throw refusal(response);
        }
        try {
            JsonNode answer = JSON.readTree(response.body());
            if (answer.isArray()) {
                return Arrays.asList(JSON.treeToValue(answer, UpdateView[].class));
            }
            if (answer.path("updates").isArray()) {
                return JSON.treeToValue(answer, UpdatePage.class).updates();
            }
        } catch (JacksonException e) {
            // not the server's list: said below
        }
        throw new PackagerException(PackagerException.UNAVAILABLE, "the server at " + baseUrl() + " answered "
                + ApiPaths.UPDATES + " with something that is not a list of updates: check --server points at "
                + "the Javia OTA server");
    }

    UpdateCreated publish(Path zip, Publication publication, UploadProgress progress) {
        MultipartForm form = form(zip, publication);
        int attempts = retries + 1;
        for (int attempt = 1; ; attempt++) {
            HttpRequest request = request(ApiPaths.CREATE_UPDATE)
                    .timeout(uploadTimeout(zip))
                    .header("Content-Type", form.contentType())
                    .POST(form.body(progress::sent))
                    .build();
            progress.start(request.bodyPublisher().orElseThrow().contentLength());
            HttpResponse<String> response;
            try {
                response = client.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                progress.endLine();
                if (attempt < attempts) {
                    pause(attempt, attempts, "the upload broke off (" + describe(e) + ")");
                    continue;
                }
                throw new PackagerException(PackagerException.UNAVAILABLE, "the upload to " + baseUrl()
                        + " failed " + attempts + " times, last with: " + describe(e) + ". Nothing was published "
                        + "unless GET " + ApiPaths.UPDATES + " lists " + publication.version() + "; check the network "
                        + "and run the same command again", e);
            } catch (InterruptedException e) {
                throw interrupted();
            }
            progress.endLine();
            int status = response.statusCode();
            if (status == 201) {
                return read(response.body(), UpdateCreated.class);
            }
            if ((status == 502 || status == 503 || status == 504) && attempt < attempts) {
                pause(attempt, attempts, "the server answered " + status + " (" + detail(response) + ")");
                continue;
            }
            if (status == 409 && attempt > 1) {
                // An earlier attempt may have reached the server although its answer was lost.
                Optional<UpdateCreated> earlier = alreadyPublished(publication);
                if (earlier.isPresent()) {
                    err.println("the server already had " + publication.version() + " from the broken attempt");
                    return earlier.get();
                }
            }
            throw refusal(response);
        }
    }

    private Optional<UpdateCreated> alreadyPublished(Publication publication) {
        // only this version; an older server answers them all, and the filter below picks it out
        return updates("?version=" + URLEncoder.encode(publication.version(), StandardCharsets.UTF_8)).stream()
                .filter(view -> publication.version().equals(view.version())
                        && publication.sha256().equals(view.sha256()))
                .findFirst()
                .map(view -> new UpdateCreated(view, view.statusCounts() == null ? 0
                        : (int) view.statusCounts().values().stream().mapToLong(Long::longValue).sum(), view.rollout()));
    }

    private MultipartForm form(Path zip, Publication publication) {
        MultipartForm form = new MultipartForm()
                .field("version", publication.version())
                .field("description", publication.description())
                .field("update_type", publication.updateType());
        if (!publication.systemPackages().isEmpty()) {
            form.field("system_packages", String.join(",", publication.systemPackages()));
        }
        if (!publication.targetDevices().isEmpty()) {
            form.field("target_devices", String.join(",", publication.targetDevices()));
        }
        try {
            return form.file("package", PackageLayout.fileName(Version.parse(publication.version())),
                    "application/zip", zip);
        } catch (FileNotFoundException e) {
            throw new IllegalStateException("the package just built is gone: " + zip, e);
        }
    }

    private void pause(int attempt, int attempts, String why) {
        Duration wait = Duration.ofSeconds(Math.min(30, 1L << (attempt - 1)));
        err.println(why + "; trying again in " + wait.toSeconds() + " s (attempt " + (attempt + 1) + " of "
                + attempts + ")");
        err.flush();
        try {
            environment.pause().sleep(wait);
        } catch (InterruptedException e) {
            throw interrupted();
        }
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .header(ApiPaths.API_KEY_HEADER, settings.adminKey())
                .header("Accept", "application/json, application/problem+json");
    }

    private static Duration uploadTimeout(Path zip) {
        long size;
        try {
            size = Files.size(zip);
        } catch (IOException e) {
            size = 0;
        }
        return Duration.ofMinutes(2).plusSeconds(size / SLOWEST_BYTES_PER_SECOND);
    }

    private PackagerException refusal(HttpResponse<String> response) {
        int status = response.statusCode();
        String detail = detail(response);
        switch (status) {
            case 401:
                return new PackagerException(PackagerException.KEY_REFUSED, "the server refused the admin key ("
                        + detail + "): set " + ServerSettings.ADMIN_KEY_VARIABLE + " (or admin_api_key in the config "
                        + "file) to one of the server's admin keys");
            case 403:
                return new PackagerException(PackagerException.KEY_REFUSED, "the key is not allowed to publish ("
                        + detail + "): publishing needs an admin key, not the enrollment key or a device token");
            case 413:
                return new PackagerException(PackagerException.REFUSED, "the package is too large for the server ("
                        + detail + "): leave large files out of the update, or raise the server's "
                        + "OTA_MAX_PACKAGE_SIZE");
            case 400:
            case 409:
            case 422:
                return new PackagerException(PackagerException.REFUSED, "the server refused the update: " + detail);
            case 404:
                return new PackagerException(PackagerException.UNAVAILABLE, "the server at " + baseUrl()
                        + " has no " + response.request().uri().getPath() + " (404): check that --server points at "
                        + "the Javia OTA server, without a path");
            default:
                return new PackagerException(PackagerException.UNAVAILABLE, "the server at " + baseUrl()
                        + " failed (HTTP " + status + ": " + detail + "): try again; if it keeps failing, look at the "
                        + "server's log");
        }
    }

    /** The problem detail's {@code detail}, else its title, else the start of the body. */
    private static String detail(HttpResponse<String> response) {
        String body = response.body() == null ? "" : response.body().strip();
        try {
            JsonNode problem = JSON.readTree(body);
            for (String field : List.of("detail", "title")) {
                JsonNode value = problem.get(field);
                if (value != null && value.isString() && !value.asString().isBlank()) {
                    return value.asString();
                }
            }
        } catch (JacksonException e) {
            // not JSON: show the text itself
        }
        if (body.isEmpty()) {
            return "HTTP " + response.statusCode() + " with no explanation";
        }
        return body.length() > 300 ? body.substring(0, 300) + "..." : body;
    }

    private PackagerException unreachable(IOException e) {
        return new PackagerException(PackagerException.UNAVAILABLE, "cannot reach the server at " + baseUrl() + " ("
                + describe(e) + "): check --server / " + ServerSettings.SERVER_URL_VARIABLE + " and that the server "
                + "is running (curl " + baseUrl() + "/actuator/health)", e);
    }

    private static String describe(IOException e) {
        if (e instanceof HttpConnectTimeoutException) {
            return "connection timed out";
        }
        if (e instanceof HttpTimeoutException) {
            return "no answer in time";
        }
        Throwable cause = e;
        while (cause.getCause() != null && cause.getMessage() == null) {
            cause = cause.getCause();
        }
        if (cause instanceof ConnectException || e instanceof ConnectException) {
            return "connection refused";
        }
        if (cause instanceof UnknownHostException) {
            return "unknown host " + cause.getMessage();
        }
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : message;
    }

    private <T> T read(String body, Class<T> type) {
        try {
            return JSON.readValue(body, type);
        } catch (JacksonException e) {
            throw new PackagerException(PackagerException.UNAVAILABLE, "the server accepted the update but its answer "
                    + "could not be read (" + e.getOriginalMessage() + "): check GET " + ApiPaths.UPDATES);
        }
    }

    private static PackagerException interrupted() {
        Thread.currentThread().interrupt();
        return new PackagerException(1, "interrupted");
    }
}
