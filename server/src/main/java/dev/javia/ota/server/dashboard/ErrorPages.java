package dev.javia.ota.server.dashboard;

import dev.javia.ota.server.web.ApiException;
import dev.javia.ota.server.web.DatabaseUnavailable;
import dev.javia.ota.server.web.UnreadableBodies;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.tomcat.util.http.InvalidParameterException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.TypeMismatchException;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.stereotype.Component;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.HandlerExceptionResolver;
import org.springframework.web.servlet.ModelAndView;
import org.springframework.web.servlet.View;
import org.thymeleaf.spring6.view.ThymeleafViewResolver;

import java.io.IOException;
import java.util.Locale;
import java.util.Map;

/**
 * The dashboard's answer to an error: an HTML page in the layout ({@code templates/dashboard/error.html}) with the
 * status, a sentence a person can act on and the way back to the overview; a short message, not a page, to an htmx
 * request for a fragment. Never a stack trace or a class name. It answers only the dashboard's paths
 * ({@link DashboardPaths#isApi} says which are the API's): the API's errors stay problem details. Three ways in: an
 * exception in a page's handler (this is the first of MVC's exception resolvers, and declines the API's paths), the
 * servlet container's error page ({@code web/ErrorEndpoint}), and the dashboard's door refusing a change without its
 * CSRF token ({@code security/DashboardSecurity}).
 */
@Component
public class ErrorPages implements HandlerExceptionResolver, Ordered {

    private static final Logger log = LoggerFactory.getLogger(ErrorPages.class);
    private static final String PAGE = "dashboard/error";
    private static final String FRAGMENT = "dashboard/error :: message";

    private final ThymeleafViewResolver views;

    ErrorPages(ThymeleafViewResolver views) {
        this.views = views;
    }

    /** Whether the request's path is the dashboard's, whose errors are pages. */
    public static boolean isDashboard(HttpServletRequest request, String uri) {
        String path = uri.startsWith(request.getContextPath()) ? uri.substring(request.getContextPath().length())
                : uri;
        return !path.isEmpty() && !DashboardPaths.isApi(path);
    }

    @Override
    public ModelAndView resolveException(HttpServletRequest request, HttpServletResponse response, Object handler,
            Exception failure) {
        if (!isDashboard(request, request.getRequestURI()) || response.isCommitted()) {
            return null;
        }
        int status = status(failure);
        if (status >= 500) {
            log.error("unexpected error on a dashboard page path={}", request.getRequestURI(), failure);
        }
        if (status == HttpStatus.SERVICE_UNAVAILABLE.value()) {
            response.setHeader(HttpHeaders.RETRY_AFTER, DatabaseUnavailable.retryAfter());
        }
        ModelAndView page = new ModelAndView(view(request), model(status, sentence(failure, status)));
        page.setStatus(HttpStatusCode.valueOf(status));
        return page;
    }

    /** Renders the error page (or fragment) as the whole answer, where no MVC handler runs. */
    public void render(HttpServletRequest request, HttpServletResponse response, int status, String sentence)
            throws IOException {
        response.setStatus(status);
        try {
            View view = views.resolveViewName(view(request), Locale.ENGLISH);
            if (view == null) {
                throw new IllegalStateException("no template " + PAGE);
            }
            view.render(model(status, sentence), request, response);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            // the page itself could not be made: say the status in plain text rather than nothing
            log.error("could not render the dashboard's error page status={}", status, e);
            if (!response.isCommitted()) {
                response.resetBuffer();
                response.setContentType("text/plain;charset=UTF-8");
                response.getWriter().write(heading(status) + ". " + sentence);
            }
        }
    }

    /** What a person is told for a status when nothing more specific is known. */
    public static String sentence(int status) {
        return switch (status) {
            case 400 -> "Something in this address or form is not valid: check it, or go back and try again.";
            case 403 -> "The server refused this action: the page it came from was too old or not this dashboard's"
                    + " (its security token was missing or no longer valid). Reload the page and try again.";
            case 404 -> "There is no page at this address: check the link, or start again from the overview.";
            case 405 -> "This page does not take that kind of request: open it with a link, or use its form.";
            case 413 -> "What was sent is larger than the server takes: send something smaller.";
            case 503 -> "The server cannot reach its database right now: try again in a few seconds.";
            default -> status >= 500
                    ? "The server failed unexpectedly while answering. Its log has the details: try again, and if it"
                    + " happens again, tell whoever runs the server."
                    : "The server refused this request (HTTP " + status + "): go back and try again.";
        };
    }

    static String heading(int status) {
        return switch (status) {
            case 400 -> "This could not be read";
            case 403 -> "Refused";
            case 404 -> "Page not found";
            case 405 -> "Not possible here";
            case 503 -> "The server cannot answer right now";
            default -> status >= 500 ? "Something went wrong" : "Refused";
        };
    }

    private static int status(Exception failure) {
        if (DatabaseUnavailable.is(failure)) {
            return HttpStatus.SERVICE_UNAVAILABLE.value();
        }
        if (failure instanceof ErrorResponse answer) {
            return answer.getStatusCode().value();
        }
        if (failure instanceof TypeMismatchException || failure instanceof HttpMessageNotReadableException
                || failure instanceof InvalidParameterException || failure instanceof RequestRejectedException) {
            return HttpStatus.BAD_REQUEST.value();
        }
        return HttpStatus.INTERNAL_SERVER_ERROR.value();
    }

    /** The refusal's own sentence where this server wrote one for people, else the status's. */
    private static String sentence(Exception failure, int status) {
        if (failure instanceof ApiException refused && refused.getBody().getDetail() != null) {
            String detail = capitalized(refused.getBody().getDetail());
            return detail.endsWith(".") ? detail : detail + ".";
        }
        if (failure instanceof MethodArgumentTypeMismatchException mismatch) {
            return "'" + mismatch.getName() + "' in this address must be "
                    + UnreadableBodies.kindOf(mismatch.getRequiredType()) + ", not '"
                    + UnreadableBodies.shown(mismatch.getValue()) + "': fix the address, or go back and try again.";
        }
        if (failure instanceof MissingServletRequestParameterException missing) {
            return "The form is missing its field '" + missing.getParameterName() + "': go back and fill it in.";
        }
        return sentence(status);
    }

    private static String capitalized(String text) {
        return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }

    private static String view(HttpServletRequest request) {
        return request.getHeader("HX-Request") != null ? FRAGMENT : PAGE;
    }

    private static Map<String, Object> model(int status, String sentence) {
        return Map.of("status", status, "heading", heading(status), "message", sentence);
    }

    @Override
    public int getOrder() {
        // before MVC's own resolvers (ProblemAdvice's among them), which keep every path this one declines
        return Ordered.HIGHEST_PRECEDENCE + 10;
    }
}
