package dev.javia.ota.server.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on loopback between a server and its PostgreSQL, which a test cuts the way a stopped database looks
 * from the server: {@link #cut} resets every open connection and closes the listening port (new connections are
 * refused), {@link #restore} listens on the same port again. The database itself keeps running, so this is safe
 * on a shared PostgreSQL.
 */
public final class DatabaseProxy implements AutoCloseable {

    private final InetSocketAddress target;
    private final int port;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private ServerSocket listener;

    private DatabaseProxy(InetSocketAddress target) {
        this.target = target;
        this.listener = listen(0);
        this.port = listener.getLocalPort();
        accept(listener);
    }

    /** Relays a new loopback port to {@code host:port}. */
    public static DatabaseProxy to(String host, int port) {
        return new DatabaseProxy(new InetSocketAddress(host, port));
    }

    public int port() {
        return port;
    }

    /** Resets every relayed connection and refuses new ones until {@link #restore}. */
    public synchronized void cut() {
        if (listener != null) {
            closeQuietly(listener);
            listener = null;
        }
        for (Socket socket : open) {
            reset(socket);
        }
    }

    /** Accepts connections again, on the same port. */
    public synchronized void restore() {
        if (listener == null) {
            listener = listen(port);
            accept(listener);
        }
    }

    @Override
    public void close() {
        cut();
    }

    private static ServerSocket listen(int port) {
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
            return socket;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on loopback port " + port, e);
        }
    }

    private void accept(ServerSocket socket) {
        Thread acceptor = new Thread(() -> {
            while (!socket.isClosed()) {
                try {
                    Socket client = socket.accept();
                    Socket server = new Socket(target.getAddress(), target.getPort());
                    open.add(client);
                    open.add(server);
                    relay(client, server);
                    relay(server, client);
                } catch (IOException e) {
                    return; // cut
                }
            }
        }, "database-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void relay(Socket from, Socket to) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                for (int n; (n = in.read(buffer)) != -1; ) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // reset by cut(), or the other side went away
            } finally {
                reset(from);
                reset(to);
            }
        }, "database-proxy-relay");
        thread.setDaemon(true);
        thread.start();
    }

    /** Closes with an RST rather than a FIN, as a dead peer's kernel answers. */
    private void reset(Socket socket) {
        open.remove(socket);
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException e) {
            // already closed
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // closing is all that is wanted
        }
    }
}
