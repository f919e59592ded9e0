package dev.javia.ota.server.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 written byte for byte on a plain socket, for requests no well-behaved client sends: raw bytes in the
 * path, invalid percent-escapes, no or several Content-Types. One request per connection ({@code Connection:
 * close}), so the answer is everything up to the end of the stream.
 */
public final class RawHttp {

    private static final int MAX_ANSWER_BYTES = 64 * 1024 * 1024;

    private final String host;
    private final int port;
    private final Duration timeout;

    public RawHttp(String host, int port, Duration timeout) {
        this.host = host;
        this.port = port;
        this.timeout = timeout;
    }

    public RawHttp(String host, int port) {
        this(host, port, Duration.ofSeconds(30));
    }

    /**
     * {@code method target} exactly as given ({@code curl --path-as-is}), with headers given as name, value, ...
     * and an optional body, as an {@link HttpApi.Response} for the assertions the API tests share.
     */
    public HttpApi.Response send(String method, String target, byte[] body, String... headers) {
        List<Map.Entry<String, String>> list = new ArrayList<>();
        for (int i = 0; i + 1 < headers.length; i += 2) {
            list.add(Map.entry(headers[i], headers[i + 1]));
        }
        try {
            return response(send(new Request(method, target, list, body)));
        } catch (IOException e) {
            throw new UncheckedIOException("no answer to " + method + " " + printable(target, 200), e);
        }
    }

    /** Bytes as they are (a malformed request line, a header with no end), and the answer. */
    public HttpApi.Response exchange(byte[] request, boolean head) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            return response(parse(readAll(socket.getInputStream()), head));
        } catch (IOException e) {
            throw new UncheckedIOException("no answer to " + printable(new String(request, 0,
                    Math.min(request.length, 200), StandardCharsets.ISO_8859_1), 200), e);
        }
    }

    private static HttpApi.Response response(Answer answer) {
        return new HttpApi.Response(answer.status(), answer.headers(), answer.body());
    }

    /**
     * A request. {@code target} is sent as it is (each char one byte: ISO-8859-1), so that a test can send bytes
     * a URI would not allow; a null {@code body} sends no Content-Length.
     */
    public record Request(String method, String target, List<Map.Entry<String, String>> headers, byte[] body) {

        public String header(String name) {
            return headers.stream().filter(h -> h.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue)
                    .findFirst().orElse(null);
        }

        /** The request line and headers, with long or unprintable values shortened, for a report. */
        public String describe() {
            StringBuilder text = new StringBuilder(method).append(' ').append(printable(target, 200));
            for (Map.Entry<String, String> header : headers) {
                text.append(" | ").append(header.getKey()).append(": ").append(printable(header.getValue(), 60));
            }
            if (body != null) {
                text.append(" | body ").append(body.length).append(" bytes: ")
                        .append(printable(new String(body, StandardCharsets.UTF_8), 160));
            }
            return text.toString();
        }
    }

    /** An answer; header names in lower case. */
    public record Answer(int status, Map<String, List<String>> headers, byte[] body) {

        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null ? null : values.get(0);
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public String describe() {
            return status + " " + header("Content-Type") + " " + printable(text(), 240);
        }
    }

    public Answer send(Request request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            OutputStream out = socket.getOutputStream();
            try {
                out.write(head(request));
                if (request.body() != null) {
                    out.write(request.body());
                }
                out.flush();
            } catch (IOException e) {
                // the server may refuse early (a header too large) and close before the body is sent: its answer
                // is still there to read; only when it is not, the read below fails
            }
            return parse(readAll(socket.getInputStream()), request.method().equals("HEAD"));
        }
    }

    private byte[] head(Request request) {
        StringBuilder head = new StringBuilder();
        head.append(request.method()).append(' ').append(request.target()).append(" HTTP/1.1\r\n");
        head.append("Host: ").append(host).append(':').append(port).append("\r\n");
        head.append("Connection: close\r\n");
        for (Map.Entry<String, String> header : request.headers()) {
            head.append(header.getKey()).append(": ").append(header.getValue()).append("\r\n");
        }
        if (request.body() != null) {
            head.append("Content-Length: ").append(request.body().length).append("\r\n");
        }
        head.append("\r\n");
        return head.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        byte[] buffer = new byte[16384];
        for (int n; (n = in.read(buffer)) > 0; ) {
            answer.write(buffer, 0, n);
            if (answer.size() > MAX_ANSWER_BYTES) {
                throw new IOException("the answer is larger than " + MAX_ANSWER_BYTES + " bytes");
            }
        }
        return answer.toByteArray();
    }

    private static Answer parse(byte[] raw, boolean head) throws IOException {
        int end = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 0);
        if (end < 0) {
            throw new IOException("no complete answer (" + raw.length + " bytes): "
                    + printable(new String(raw, StandardCharsets.ISO_8859_1), 200));
        }
        String[] lines = new String(raw, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/")) {
            throw new IOException("not an HTTP answer: " + printable(lines[0], 200));
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String line : Arrays.asList(lines).subList(1, lines.length)) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                headers.computeIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        key -> new ArrayList<>()).add(line.substring(colon + 1).trim());
            }
        }
        byte[] body = head ? new byte[0] : Arrays.copyOfRange(raw, end + 4, raw.length);
        List<String> encoding = headers.get("transfer-encoding");
        if (!head && encoding != null && encoding.get(0).equalsIgnoreCase("chunked")) {
            body = dechunk(body);
        }
        return new Answer(Integer.parseInt(statusLine[1]), headers, body);
    }

    private static byte[] dechunk(byte[] chunked) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int at = 0;
        while (true) {
            int lineEnd = indexOf(chunked, new byte[] {'\r', '\n'}, at);
            if (lineEnd < 0) {
                throw new IOException("a chunked answer that ends in the middle");
            }
            String size = new String(chunked, at, lineEnd - at, StandardCharsets.ISO_8859_1).split(";")[0].trim();
            int length = Integer.parseInt(size, 16);
            if (length == 0) {
                return body.toByteArray();
            }
            body.write(chunked, lineEnd + 2, length);
            at = lineEnd + 2 + length + 2;
        }
    }

    private static int indexOf(byte[] data, byte[] pattern, int from) {
        outer:
        for (int i = from; i <= data.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Control and non-ASCII characters as \\uXXXX, cut at {@code max}. */
    static String printable(String text, int max) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        for (; i < text.length() && out.length() < max; i++) {
            char c = text.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
        }
        return i < text.length() ? out + "...(" + text.length() + " chars)" : out.toString();
    }
}
