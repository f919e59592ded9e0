package dev.javia.ota.packager;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.RolloutAction;
import dev.javia.ota.protocol.api.RolloutPage;
import dev.javia.ota.protocol.api.RolloutState;
import dev.javia.ota.protocol.api.RolloutView;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.protocol.trust.RollbackStatement;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.io.PrintWriter;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static dev.javia.ota.packager.ServerConnection.JSON;

/**
 * The operator's calls on rollouts: list, show, and the actions. No call is retried: an action the server did but
 * whose answer was lost would be refused as a transition the second time, which says less than the first failure.
 * Every 4xx but a refused key is {@link PackagerException#REFUSED} with the server's own {@code detail}, which says
 * what to do; a 5xx or no answer is {@link PackagerException#UNAVAILABLE}.
 */
final class Rollouts {

    private final ServerConnection connection;

    Rollouts(ServerConnection connection) {
        this.connection = connection;
    }

    /** One page, newest first; {@code state} and {@code version} narrow it when given. */
    ServerConnection.Answer<RolloutPage> list(RolloutState state, Version version, int page, int size) {
        List<String> query = new ArrayList<>();
        if (state != null) {
            query.add("state=" + state.wire());
        }
        if (version != null) {
            query.add("version=" + URLEncoder.encode(version.toString(), StandardCharsets.UTF_8));
        }
        query.add("page=" + page);
        query.add("size=" + size);
        HttpResponse<String> response = connection.send(get(ApiPaths.ROLLOUTS + "?" + String.join("&", query)));
        if (response.statusCode() == 404) {
            throw new PackagerException(PackagerException.UNAVAILABLE, "the server at " + connection.baseUrl()
                    + " has no " + ApiPaths.ROLLOUTS + " (404): it is older than rollouts (update it), or --server "
                    + "does not point at the Javia OTA server");
        }
        return answer(response, RolloutPage.class, "list the rollouts");
    }

    ServerConnection.Answer<RolloutView> get(UUID id) {
        return answer(connection.send(get(ApiPaths.rollout(id))), RolloutView.class, "show rollout " + id);
    }

    /**
     * The newest rollout of this version. A version can have several: its release and, after a newer version was
     * rolled back to it, that rollback; {@code err} is told which was taken when there is a choice.
     */
    UUID newestOf(Version version, PrintWriter err) {
        RolloutPage page = list(null, version, 0, 1).value();
        if (page.rollouts().isEmpty()) {
            throw new PackagerException(PackagerException.REFUSED, "no rollout of " + version + " on "
                    + connection.baseUrl() + ": javia-ota rollouts lists them (is " + version + " published?)");
        }
        RolloutView newest = page.rollouts().get(0);
        if (page.totalElements() > 1) {
            err.println(version + " has " + page.totalElements() + " rollouts; taking the newest, " + newest.id() + " ("
                    + newest.kind().wire() + ", " + newest.state().wire() + "); give an id for another (javia-ota "
                    + "rollouts --version " + version + ")");
        }
        return newest.id();
    }

    /**
     * {@code POST /api/v1/rollouts/{id}/{action}}; the answer is the rollout after it, or for {@code rollback} the new
     * rollback rollout.
     */
    ServerConnection.Answer<RolloutView> act(UUID id, String action, Object body) {
        HttpRequest request = connection.request(ApiPaths.rolloutAction(id, action))
                .timeout(ServerConnection.CALL_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build();
        return answer(connection.send(request), RolloutView.class, action + " rollout " + id);
    }

    /**
     * The body of a signed rollback: {@link RolloutAction}'s {@code reason} and {@code to_version} and the publisher's
     * {@code statement}. A server without publisher keys that predates statements ignores the field.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record SignedRollback(String reason, String toVersion, RollbackStatement.Signed statement) {
    }

    private HttpRequest get(String path) {
        return connection.request(path).timeout(ServerConnection.CALL_TIMEOUT).GET().build();
    }

    private <T> ServerConnection.Answer<T> answer(HttpResponse<String> response, Class<T> type, String what) {
        int status = response.statusCode();
        if (status == 200 || status == 201) {
            return connection.read(response, type, "check that --server points at the Javia OTA server, and that "
                    + "it is as new as this command");
        }
        if (status == 401) {
            throw connection.keyRefused(response);
        }
        if (status >= 400 && status < 500) {
            throw new PackagerException(PackagerException.REFUSED, "the server refused to " + what + " (" + status
                    + "): " + ServerConnection.detail(response));
        }
        throw connection.failed(response);
    }
}
