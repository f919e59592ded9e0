package dev.javia.ota.server.connections;

import org.apache.coyote.Adapter;
import org.apache.coyote.http11.Http11Processor;
import org.apache.tomcat.util.net.AbstractEndpoint.Handler.SocketState;
import org.apache.tomcat.util.net.SocketWrapperBase;

import java.io.IOException;

/**
 * Tomcat's HTTP/1.1 processor, known to the {@link ConnectionSweep} while a request thread runs it: that is when
 * Tomcat reads a request body, blocking the thread.
 */
final class WatchedProcessor extends Http11Processor {

    private final GuardedNioProtocol protocol;

    WatchedProcessor(GuardedNioProtocol protocol, Adapter adapter) {
        super(protocol, adapter);
        this.protocol = protocol;
    }

    @Override
    public SocketState service(SocketWrapperBase<?> socketWrapper) throws IOException {
        ConnectionSweep sweep = protocol.sweep();
        if (sweep == null) {
            return super.service(socketWrapper);
        }
        sweep.serving(this, socketWrapper);
        try {
            return super.service(socketWrapper);
        } finally {
            sweep.served(this);
        }
    }

    /** Whether the current request's body has not all been read yet (false when it has none). */
    boolean bodyPending() {
        return !isRequestBodyFullyRead();
    }
}
