package dev.javia.ota.server.web;

import jakarta.servlet.ServletException;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.coyote.ActionCode;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * After the answer to a request whose body was not read (a refusal, or a body sent with a GET), closes the
 * connection instead of reading the rest. Tomcat would otherwise read (swallow) what is left of the body on the
 * request's thread to keep the connection, so that a client declaring a 52 MB body and sending nothing holds a
 * thread until the read times out, and one that sends it makes the server read it for nothing. An engine valve: it runs around everything else,
 * error pages included.
 */
class UnreadBodies extends ValveBase {

    UnreadBodies() {
        super(true);
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        getNext().invoke(request, response);
        if (request.getCoyoteRequest().getContentLengthLong() == 0) {
            return;
        }
        AtomicBoolean read = new AtomicBoolean(true);
        request.getCoyoteRequest().action(ActionCode.REQUEST_BODY_FULLY_READ, read);
        if (!read.get()) {
            // the answer goes out whole first (this valve sits outside the error pages, so it is complete now),
            // saying that the connection ends with it
            if (!response.isCommitted()) {
                response.setHeader("Connection", "close");
            }
            response.finishResponse();
            request.getCoyoteRequest().action(ActionCode.DISABLE_SWALLOW_INPUT, null);
        }
    }
}
