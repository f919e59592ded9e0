package dev.javia.ota.packager;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateCreated;
import dev.javia.ota.protocol.api.UpdatePage;
import dev.javia.ota.protocol.api.UpdateView;
import dev.javia.ota.protocol.pkg.PackageLayout;
import dev.javia.ota.protocol.pkg.Version;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import static dev.javia.ota.packager.ServerConnection.JSON;

/**
 * The calls the packager makes: the newest published update, the server's size limit, and publishing one. Every
 * refusal becomes a {@link PackagerException} carrying the server's own problem {@code detail}; a broken upload, and
 * a 502/503/504 from a proxy in front of the server, are retried with a growing pause.
 */
final class UpdateServer {

    /** The slowest upload link worth waiting for: a Pi fleet's operator may publish over a phone. */
    private static final long SLOWEST_BYTES_PER_SECOND = 32 * 1024;

    /**
     * What is published besides the file; {@code rolloutFields} are the rollout's form fields (phases, soak, target
     * filter, ...), only those the operator gave; {@code signature} is the package's {@code .sig} (the
     * PublisherSignature JSON), null for an unsigned package.
     */
    record Publication(String version, String description, String updateType, List<String> systemPackages,
                       List<String> targetDevices, Map<String, String> rolloutFields, String sha256,
                       String signature) {
    }

    private final ServerConnection connection;
    private final PackagerEnvironment environment;
    private final PrintWriter err;
    private final int retries;

    UpdateServer(ServerConnection connection, PackagerEnvironment environment, PrintWriter err, int retries) {
        this.connection = connection;
        this.environment = environment;
        this.err = err;
        this.retries = retries;
    }

    URI baseUrl() {
        return connection.baseUrl();
    }

    /** The server's package size limit from {@code GET /actuator/info}; empty when the server does not say. */
    OptionalLong maxPackageBytes() {
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl() + "/actuator/info"))
                .timeout(ServerConnection.CALL_TIMEOUT).header("Accept", "application/json").GET().build();
        try {
            HttpResponse<String> response = connection.exchange(request);
            JsonNode limit = response.statusCode() == 200
                    ? JSON.readTree(response.body()).path("ota").path("max_package_bytes") : null;
            return limit != null && limit.canConvertToLong() ? OptionalLong.of(limit.asLong()) : OptionalLong.empty();
        } catch (IOException | JacksonException e) {
            return OptionalLong.empty();
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
        HttpRequest request = connection.request(ApiPaths.UPDATES + query).timeout(ServerConnection.CALL_TIMEOUT)
                .GET().build();
        HttpResponse<String> response = connection.send(request);
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

    ServerConnection.Answer<UpdateCreated> publish(Path zip, Publication publication, UploadProgress progress) {
        MultipartForm form = form(zip, publication);
        int attempts = retries + 1;
        for (int attempt = 1; ; attempt++) {
            HttpRequest request = connection.request(ApiPaths.CREATE_UPDATE)
                    .timeout(uploadTimeout(zip))
                    .header("Content-Type", form.contentType())
                    .POST(form.body(progress::sent))
                    .build();
            progress.start(request.bodyPublisher().orElseThrow().contentLength());
            HttpResponse<String> response;
            try {
                response = connection.exchange(request);
            } catch (IOException e) {
                progress.endLine();
                if (attempt < attempts) {
                    pause(attempt, attempts, "the upload broke off (" + ServerConnection.describe(e) + ")");
                    continue;
                }
                throw new PackagerException(PackagerException.UNAVAILABLE, "the upload to " + baseUrl()
                        + " failed " + attempts + " times, last with: " + ServerConnection.describe(e)
                        + ". Nothing was published unless GET " + ApiPaths.UPDATES + " lists " + publication.version()
                        + "; check the network and run the same command again", e);
            }
            progress.endLine();
            int status = response.statusCode();
            if (status == 201) {
                return connection.read(response, UpdateCreated.class, "the server accepted the update; check GET "
                        + ApiPaths.UPDATES);
            }
            if ((status == 502 || status == 503 || status == 504) && attempt < attempts) {
                pause(attempt, attempts, "the server answered " + status + " ("
                        + ServerConnection.detail(response) + ")");
                continue;
            }
            if (status == 409 && attempt > 1) {
                // An earlier attempt may have reached the server although its answer was lost.
                Optional<ServerConnection.Answer<UpdateCreated>> earlier = alreadyPublished(publication);
                if (earlier.isPresent()) {
                    err.println("the server already had " + publication.version() + " from the broken attempt");
                    return earlier.get();
                }
            }
            throw refusal(response);
        }
    }

    private Optional<ServerConnection.Answer<UpdateCreated>> alreadyPublished(Publication publication) {
        // only this version; an older server answers them all, and the filter below picks it out
        return updates("?version=" + URLEncoder.encode(publication.version(), StandardCharsets.UTF_8)).stream()
                .filter(view -> publication.version().equals(view.version())
                        && publication.sha256().equals(view.sha256()))
                .findFirst()
                .map(view -> new UpdateCreated(view, view.statusCounts() == null ? 0
                        : (int) view.statusCounts().values().stream().mapToLong(Long::longValue).sum(), view.rollout()))
                .map(created -> new ServerConnection.Answer<>(created, JSON.writeValueAsString(created)));
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
        publication.rolloutFields().forEach(form::field);
        if (publication.signature() != null) {
            form.field("signature", publication.signature());
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
            throw ServerConnection.interrupted();
        }
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
        String detail = ServerConnection.detail(response);
        switch (status) {
            case 401:
                return connection.keyRefused(response);
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
                return connection.failed(response);
        }
    }
}
