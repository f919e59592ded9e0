package dev.javia.ota.packager;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for the OTA server that answers each {@code METHOD /path?query} with what the test scripted, and
 * records every request: for the client's side of the contract (what it sends, how it takes each status) where the
 * real server cannot be made to answer that way.
 */
final class StubServer implements AutoCloseable {

    record Request(String method, String target, String apiKey, String body) {
    }

    private record Reply(int status, String contentType, String body) {
    }

    private final HttpServer server;
    private final Map<String, Reply> replies = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    StubServer() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            String target = exchange.getRequestURI().toString();
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            requests.add(new Request(exchange.getRequestMethod(), target,
                    exchange.getRequestHeaders().getFirst("X-API-Key"), body));
            Reply reply = replies.getOrDefault(exchange.getRequestMethod() + " " + target,
                    new Reply(404, "application/problem+json", "{\"title\":\"Not Found\",\"status\":404,"
                            + "\"detail\":\"No static resource " + target + ".\"}"));
            byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", reply.contentType());
            exchange.sendResponseHeaders(reply.status(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                exchange.getResponseBody().write(bytes);
            }
            exchange.close();
        });
        server.start();
    }

    /** Answers {@code method target} (the path with its query) with this JSON. */
    StubServer answer(String method, String target, int status, Object json) {
        String body = json instanceof String text ? text : ServerConnection.JSON.writeValueAsString(json);
        replies.put(method + " " + target, new Reply(status, "application/json", body));
        return this;
    }

    /** Answers {@code method target} with a problem detail. */
    StubServer problem(String method, String target, int status, String detail) {
        replies.put(method + " " + target, new Reply(status, "application/problem+json",
                ServerConnection.JSON.writeValueAsString(Map.of("status", status, "detail", detail))));
        return this;
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<Request> requests() {
        return new ArrayList<>(requests);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
