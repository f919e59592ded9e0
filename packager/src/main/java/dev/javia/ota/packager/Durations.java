package dev.javia.ota.packager;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as an operator types them ({@code 90s}, {@code 30m}, {@code 1h}, {@code 2d}, ISO-8601 {@code PT1H}). */
final class Durations {

    private static final Pattern SHORT = Pattern.compile("(\\d+)\\s*([smhd])");

    private Durations() {
    }

    /** The duration, or {@code null} when the text is neither form. */
    static Duration parse(String text) {
        String value = text.strip().toLowerCase(Locale.ROOT);
        Matcher matcher = SHORT.matcher(value);
        if (matcher.matches()) {
            long amount = Long.parseLong(matcher.group(1));
            switch (matcher.group(2)) {
                case "s":
                    return Duration.ofSeconds(amount);
                case "m":
                    return Duration.ofMinutes(amount);
                case "h":
                    return Duration.ofHours(amount);
                default:
                    return Duration.ofDays(amount);
            }
        }
        try {
            return Duration.parse(value.toUpperCase(Locale.ROOT));
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** {@code 1d 2h}, {@code 30m}, {@code 1m 30s}: the two largest units that are not zero. */
    static String format(long seconds) {
        if (seconds <= 0) {
            return "0s";
        }
        long[] amounts = {seconds / 86_400, seconds % 86_400 / 3_600, seconds % 3_600 / 60, seconds % 60};
        String[] units = {"d", "h", "m", "s"};
        StringBuilder text = new StringBuilder();
        int shown = 0;
        for (int i = 0; i < amounts.length && shown < 2; i++) {
            if (amounts[i] > 0) {
                text.append(text.length() == 0 ? "" : " ").append(amounts[i]).append(units[i]);
                shown++;
            } else if (shown > 0) {
                break;
            }
        }
        return text.toString();
    }
}
