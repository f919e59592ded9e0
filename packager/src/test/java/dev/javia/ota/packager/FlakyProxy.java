package dev.javia.ota.packager;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay in front of the real server that fails once, the way a flaky network does: it cuts the first
 * connection that has carried more than {@code afterBytes} from the client, either in the middle of the upload or
 * just as the server's answer comes back. Every other connection is relayed untouched.
 */
final class FlakyProxy implements AutoCloseable {

    enum Fault {
        /** The connection drops while the package is still being sent: the server never sees all of it. */
        BREAK_UPLOAD,
        /** The server receives everything and answers, but the answer never reaches the client. */
        LOSE_ANSWER
    }

    private final ServerSocket listener;
    private final int targetPort;
    private final Fault fault;
    private final long afterBytes;
    private final AtomicBoolean failed = new AtomicBoolean();

    FlakyProxy(int targetPort, Fault fault, long afterBytes) throws IOException {
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.targetPort = targetPort;
        this.fault = fault;
        this.afterBytes = afterBytes;
        Thread acceptor = new Thread(this::accept, "flaky-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String url() {
        return "http://127.0.0.1:" + listener.getLocalPort();
    }

    boolean failed() {
        return failed.get();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                AtomicLong fromClient = new AtomicLong();
                relay(client, server, fromClient, true);
                relay(server, client, fromClient, false);
            } catch (IOException e) {
                return;
            }
        }
    }

    private void relay(Socket from, Socket to, AtomicLong fromClient, boolean upstream) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buffer)) != -1; ) {
                    long carried = upstream ? fromClient.addAndGet(n) : fromClient.get();
                    Fault now = upstream ? Fault.BREAK_UPLOAD : Fault.LOSE_ANSWER;
                    if (fault == now && carried > afterBytes && failed.compareAndSet(false, true)) {
                        cut(from, to);
                        return;
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // the other direction closed the pair
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "flaky-proxy-relay");
        thread.setDaemon(true);
        thread.start();
    }

    /** A reset, not a polite close: what a dropped Wi-Fi or a killed proxy looks like to the client. */
    private static void cut(Socket a, Socket b) throws IOException {
        for (Socket socket : new Socket[]{a, b}) {
            socket.setSoLinger(true, 0);
            socket.close();
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
