package dev.javia.ota.server.connections;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;

import java.io.IOException;

/**
 * Answers 408 for a request whose body the {@link ConnectionSweep} cut for arriving too slowly. The cut makes the
 * application's read fail with an end of stream, which Tomcat would answer as a 400 or the application as a broken
 * upload; this says what happened, before Tomcat renders the error page.
 */
final class SlowBodyValve extends ValveBase {

    private final ConnectionSweep sweep;

    SlowBodyValve(ConnectionSweep sweep) {
        super(true);
        this.sweep = sweep;
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        getNext().invoke(request, response);
        if (sweep.bodyCut(request.getCoyoteRequest()) && !response.isCommitted()) {
            response.sendError(HttpServletResponse.SC_REQUEST_TIMEOUT, sweep.slowBodyDetail());
        }
    }
}
