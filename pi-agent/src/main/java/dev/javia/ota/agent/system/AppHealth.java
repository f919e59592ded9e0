package dev.javia.ota.agent.system;

import java.nio.file.Path;

/**
 * The voice-assistant app's own word on whether it is well, beyond systemd's "the unit is active": a unit can be
 * active while its wake-word engine failed to load. Asked by the health check after the restart, in the new release.
 * Every implementation answers, never throws: what went wrong asking is itself the answer.
 */
public interface AppHealth {

    /** No health command or endpoint is set: systemd's word is all there is. */
    AppHealth NONE = new AppHealth() {
        @Override
        public Answer ask(Path release) {
            return Answer.well("no app health check set");
        }

        @Override
        public boolean configured() {
            return false;
        }
    };

    /** The longest account of the app's words kept: it goes into the state file and the failed report. */
    int MAX_WORDS = 200;

    /**
     * One answer.
     *
     * @param well    whether the app says it is well
     * @param account what it said, to follow the service's name in a log line or a report: "says: wake-word engine
     *                failed to load model", "did not answer APP_HEALTH_URL ... within 10 s"; one line, bounded
     */
    record Answer(boolean well, String account) {

        public static Answer well(String account) {
            return new Answer(true, oneLine(account));
        }

        public static Answer notWell(String account) {
            return new Answer(false, oneLine(account));
        }
    }

    Answer ask(Path release);

    default boolean configured() {
        return true;
    }

    /** Both must be well; the first that is not gives the answer. */
    static AppHealth both(AppHealth first, AppHealth second) {
        if (!first.configured()) {
            return second;
        }
        if (!second.configured()) {
            return first;
        }
        return release -> {
            Answer answer = first.ask(release);
            return answer.well() ? second.ask(release) : answer;
        };
    }

    /**
     * {@code text} as one line of at most {@value #MAX_WORDS} characters: line breaks and control characters become
     * spaces (an app's words must not forge a second log line or swell the state file).
     */
    static String oneLine(String text) {
        String flat = text == null ? "" : text.replaceAll("[\\p{Cntrl}\\u2028\\u2029]+", " ").strip()
                .replaceAll(" {2,}", " ");
        return flat.length() <= MAX_WORDS ? flat : flat.substring(0, MAX_WORDS - 3) + "...";
    }
}
