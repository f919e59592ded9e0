package dev.javia.ota.packager;

import java.io.FileNotFoundException;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * A {@code multipart/form-data} body of text fields and one file. The file is streamed from disk, never read into
 * memory, and the body has a known length (the server sees a Content-Length, not chunks). Each subscription (each
 * attempt) counts the bytes it hands to the connection for the progress display.
 */
final class MultipartForm {

    private final String boundary = "javia-ota-" + UUID.randomUUID();
    private final List<HttpRequest.BodyPublisher> parts = new ArrayList<>();

    MultipartForm field(String name, String value) {
        parts.add(bytes("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n"
                + "Content-Type: text/plain; charset=UTF-8\r\n\r\n" + value + "\r\n"));
        return this;
    }

    MultipartForm file(String name, String fileName, String contentType, Path file) throws FileNotFoundException {
        parts.add(bytes("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\""
                + fileName + "\"\r\nContent-Type: " + contentType + "\r\n\r\n"));
        parts.add(HttpRequest.BodyPublishers.ofFile(file));
        parts.add(bytes("\r\n"));
        return this;
    }

    String contentType() {
        return "multipart/form-data; boundary=" + boundary;
    }

    /** The body; {@code progress} receives the running count of bytes sent in the current attempt. */
    HttpRequest.BodyPublisher body(LongConsumer progress) {
        List<HttpRequest.BodyPublisher> all = new ArrayList<>(parts);
        all.add(bytes("--" + boundary + "--\r\n"));
        return new Counting(HttpRequest.BodyPublishers.concat(all.toArray(HttpRequest.BodyPublisher[]::new)),
                progress);
    }

    private static HttpRequest.BodyPublisher bytes(String text) {
        return HttpRequest.BodyPublishers.ofByteArray(text.getBytes(StandardCharsets.UTF_8));
    }

    private static final class Counting implements HttpRequest.BodyPublisher {
        private final HttpRequest.BodyPublisher delegate;
        private final LongConsumer progress;

        Counting(HttpRequest.BodyPublisher delegate, LongConsumer progress) {
            this.delegate = delegate;
            this.progress = progress;
        }

        @Override
        public long contentLength() {
            return delegate.contentLength();
        }

        @Override
        public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
            AtomicLong sent = new AtomicLong();
            delegate.subscribe(new Flow.Subscriber<>() {
                @Override
                public void onSubscribe(Flow.Subscription subscription) {
                    subscriber.onSubscribe(subscription);
                }

                @Override
                public void onNext(ByteBuffer item) {
                    int size = item.remaining();
                    subscriber.onNext(item);
                    progress.accept(sent.addAndGet(size));
                }

                @Override
                public void onError(Throwable throwable) {
                    subscriber.onError(throwable);
                }

                @Override
                public void onComplete() {
                    subscriber.onComplete();
                }
            });
        }
    }
}
