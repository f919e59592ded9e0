package dev.javia.ota.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Clients that send their request slowly over raw sockets on loopback: a head sent at once, then the rest a chunk
 * at a time, paced by one scheduler thread (a client's rate, not a wait in the test). A connection stops sending
 * when the server answers or closes. Closing this closes every socket.
 */
final class SlowClients implements AutoCloseable {

    private final int port;
    private final ScheduledExecutorService pace = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "slow-clients");
        thread.setDaemon(true);
        return thread;
    });
    private final List<Connection> connections = new CopyOnWriteArrayList<>();

    SlowClients(int port) {
        this.port = port;
    }

    /** Sends {@code head}, then {@code rest} {@code chunk} bytes every {@code every}. */
    Connection open(String head, byte[] rest, int chunk, Duration every) {
        try {
            Socket socket = new Socket();
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            Connection connection = new Connection(socket, rest, chunk);
            connections.add(connection);
            socket.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
            connection.task = pace.scheduleAtFixedRate(connection::sendChunk, every.toMillis(), every.toMillis(),
                    TimeUnit.MILLISECONDS);
            return connection;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Sends {@code request} at once and reads the answer {@code chunk} bytes every {@code every} (through a small
     * receive buffer, so that the server's writes wait for the reader); answers the bytes read until the server
     * closed, after at most {@code within}.
     */
    byte[] readSlowly(String request, int chunk, Duration every, Duration within) {
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(8 * 1024);
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            CompletableFuture<byte[]> done = new CompletableFuture<>();
            byte[] buffer = new byte[chunk];
            ScheduledFuture<?> reading = pace.scheduleAtFixedRate(() -> {
                try {
                    int n = in.read(buffer);
                    if (n == -1) {
                        done.complete(answer.toByteArray());
                    } else {
                        answer.write(buffer, 0, n);
                    }
                } catch (IOException e) {
                    done.completeExceptionally(e);
                }
            }, 0, every.toMillis(), TimeUnit.MILLISECONDS);
            try {
                return done.get(within.toMillis(), TimeUnit.MILLISECONDS);
            } finally {
                reading.cancel(false);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("the answer did not arrive whole within " + within, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A request head that never ends: one more byte of a header line every {@code every}. */
    Connection dribbleHead(String path, Duration every) {
        return open("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", "a".repeat(100_000)
                .getBytes(StandardCharsets.US_ASCII), 1, every);
    }

    long stopped() {
        return connections.stream().filter(Connection::stopped).count();
    }

    @Override
    public void close() {
        pace.shutdownNow();
        for (Connection connection : connections) {
            connection.closeQuietly();
        }
    }

    static final class Connection {

        private final Socket socket;
        private final byte[] rest;
        private final int chunk;
        private volatile ScheduledFuture<?> task;
        private volatile int sent;
        private volatile boolean stopped;

        private Connection(Socket socket, byte[] rest, int chunk) {
            this.socket = socket;
            this.rest = rest;
            this.chunk = chunk;
        }

        /** Whether it stopped sending: the server answered or closed (or everything was sent). */
        boolean stopped() {
            return stopped;
        }

        int sent() {
            return sent;
        }

        private void sendChunk() {
            if (stopped) {
                return;
            }
            try {
                if (socket.getInputStream().available() > 0 || sent >= rest.length) {
                    stop();
                    return;
                }
                int length = Math.min(chunk, rest.length - sent);
                socket.getOutputStream().write(rest, sent, length);
                sent += length;
            } catch (IOException e) {
                stop();
            }
        }

        private void stop() {
            stopped = true;
            if (task != null) {
                task.cancel(false);
            }
        }

        /**
         * What the server sent until it closed the connection (or reset it), read for at most {@code within};
         * fails when the connection is still open then.
         */
        String answerUntilClosed(Duration within) {
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            try {
                socket.setSoTimeout((int) within.toMillis());
                InputStream in = socket.getInputStream();
                byte[] buffer = new byte[8192];
                for (int n; (n = in.read(buffer)) != -1; ) {
                    answer.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the server kept the connection open for " + within + " after "
                        + sent + " bytes; it sent: " + answer.toString(StandardCharsets.UTF_8), e);
            } catch (SocketException e) {
                // reset: the server closed while bytes were still arriving; what came before stays valid
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                stop();
            }
            return answer.toString(StandardCharsets.UTF_8);
        }

        void closeQuietly() {
            stop();
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
