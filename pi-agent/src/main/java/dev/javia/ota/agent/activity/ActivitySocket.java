package dev.javia.ota.agent.activity;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The local channel on which the voice-assistant app reports what the user does: an AF_UNIX stream socket
 * (Java 16+; datagrams are not possible on 17). One line per event, each answered {@code ok} or {@code error ...}:
 * <pre>
 * session start [name]   a conversation began (renew it by sending it again; it lapses after SESSION_TIMEOUT)
 * session end [name]     it ended
 * activity [what]        something happened just now
 * </pre>
 * From a shell: {@code echo "session start" | socat - UNIX-CONNECT:/var/lib/javia-agent/activity.sock}.
 */
public final class ActivitySocket implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ActivitySocket.class.getName());
    private static final int MAX_CONNECTIONS = 8;
    private static final int MAX_LINE = 256;

    private final Path path;
    private final ServerSocketChannel server;
    private final ActivityTracker tracker;
    private final Semaphore connections = new Semaphore(MAX_CONNECTIONS);

    private ActivitySocket(Path path, ServerSocketChannel server, ActivityTracker tracker) {
        this.path = path;
        this.server = server;
        this.tracker = tracker;
    }

    public static ActivitySocket open(Path path, ActivityTracker tracker) {
        try {
            Files.createDirectories(path.toAbsolutePath().getParent());
            // a socket file left by a previous run makes bind fail: it is ours, remove it
            Files.deleteIfExists(path);
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            // the app usually runs as another user than the agent; the worst a local user can do is delay updates
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw-rw-"));
            ActivitySocket socket = new ActivitySocket(path, server, tracker);
            Thread acceptor = new Thread(socket::acceptLoop, "activity-socket");
            acceptor.setDaemon(true);
            acceptor.start();
            LOG.info("activity channel listening on " + path);
            return socket;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the activity socket " + path + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                if (!connections.tryAcquire()) {
                    client.close();
                    continue;
                }
                Thread reader = new Thread(() -> serve(client), "activity-client");
                reader.setDaemon(true);
                reader.start();
            } catch (IOException e) {
                if (server.isOpen()) {
                    LOG.log(Level.WARNING, "activity socket: " + e.getMessage(), e);
                }
            }
        }
    }

    private void serve(SocketChannel client) {
        try (client;
             BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client),
                     StandardCharsets.UTF_8));
             OutputStream out = Channels.newOutputStream(client)) {
            String line;
            while ((line = in.readLine()) != null) {
                String answer = handle(line.length() > MAX_LINE ? line.substring(0, MAX_LINE) : line);
                out.write((answer + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException e) {
            LOG.fine("activity client went away: " + e.getMessage());
        } finally {
            connections.release();
        }
    }

    String handle(String line) {
        String[] words = line.strip().split("\\s+", 3);
        String verb = words[0].toLowerCase(Locale.ROOT);
        if (verb.equals("activity")) {
            tracker.activity("app");
            return "ok";
        }
        if (verb.equals("session") && words.length >= 2) {
            String name = "app session" + (words.length == 3 ? " " + words[2].strip() : "");
            String what = words[1].toLowerCase(Locale.ROOT);
            if (what.equals("start")) {
                tracker.sessionStarted(name);
                return "ok";
            }
            if (what.equals("end")) {
                tracker.sessionEnded(name);
                return "ok";
            }
        }
        if (verb.isEmpty()) {
            return "ok";
        }
        return "error: expected 'session start [name]', 'session end [name]' or 'activity'";
    }

    @Override
    public void close() {
        try {
            server.close();
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.fine("closing activity socket: " + e.getMessage());
        }
    }
}
