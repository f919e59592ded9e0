package dev.javia.ota.packager;

import dev.javia.ota.protocol.api.DeviceStatus;
import dev.javia.ota.protocol.pkg.Version;
import picocli.CommandLine.Option;

import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * create_update's rollout options, checked here as far as they can be without the server (a phase list that does
 * not end at 100%, a threshold above 100%, a timezone that does not exist), and sent as the form fields of
 * {@code POST /api/v1/updates/create} only when given: a publication without them keeps the server's default of one
 * phase for every targeted device. What needs the fleet (a phase larger than the target, a start in the past) is the
 * server's to refuse.
 */
final class RolloutOptions {

    private static final Pattern COUNT = Pattern.compile("\\d+");
    private static final Pattern SHARE = Pattern.compile("(\\d+(?:\\.\\d+)?)%");
    private static final BigDecimal HUNDRED = BigDecimal.valueOf(100);
    /** As the server keeps them: letters, digits, '_', '.', '-'. */
    private static final Pattern METADATA_KEY = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    @Option(names = "--phases", paramLabel = "SIZE,...", order = 20,
            description = "the rollout's phases, cumulative: a device count or a share of the target, ending at 100%% "
                    + "(e.g. 1,1%%,10%%,50%%,100%%: one device, then 1%% of them, ...; default: one phase, 100%%)")
    String phases;

    @Option(names = "--soak", paramLabel = "DURATION", order = 21,
            description = "how long each phase runs before the next may open: 90s, 30m, 1h, 2d or PT1H (e.g. --soak 2h)")
    String soak;

    @Option(names = "--require-approval", arity = "0..1", fallbackValue = "true", paramLabel = "true|false",
            order = 22, description = "nothing starts until an admin other than you approves with javia-ota approve "
                    + "VERSION (e.g. --require-approval; --require-approval=false says no)")
    Boolean requireApproval;

    @Option(names = "--success-threshold", paramLabel = "SHARE", order = 23,
            description = "the share of a phase's devices that must have installed before it advances "
                    + "(e.g. 95%% or 0.95)")
    String successThreshold;

    @Option(names = "--failure-threshold", paramLabel = "SHARE", order = 24,
            description = "the share of failed or silent devices that pauses the rollout (e.g. 5%% or 0.05)")
    String failureThreshold;

    @Option(names = "--min-finished", paramLabel = "N", order = 25,
            description = "at least this many of a phase's devices finish before it advances (e.g. 5)")
    Integer minFinished;

    @Option(names = "--min-sample", paramLabel = "N", order = 26,
            description = "how many devices must have finished or gone silent before the failure threshold "
                    + "judges (e.g. 10)")
    Integer minSample;

    @Option(names = "--install-timeout", paramLabel = "DURATION", order = 27,
            description = "a device that started and has not finished after this long counts as silent (e.g. 2h)")
    String installTimeout;

    @Option(names = "--max-concurrent", paramLabel = "N", order = 28,
            description = "at most this many devices are offered the update and not yet finished at once (e.g. 50)")
    Integer maxConcurrent;

    @Option(names = "--start-at", paramLabel = "TIME", order = 29,
            description = "when the rollout starts, ISO-8601 (e.g. 2026-12-03T02:00:00Z or 2026-12-03T03:00+01:00; "
                    + "default: now, or when approved)")
    String startAt;

    @Option(names = "--auto-rollback", arity = "0..1", fallbackValue = "true", paramLabel = "true|false", order = 30,
            description = "when the failure threshold pauses the rollout, take the devices that installed it back "
                    + "to the version before (e.g. --auto-rollback)")
    Boolean autoRollback;

    @Option(names = "--target-version", paramLabel = "VERSION", order = 31,
            description = "only devices that run this version (e.g. v1.2.2); instead of --target-devices")
    String targetVersion;

    @Option(names = "--target-status", paramLabel = "STATUS", order = 32,
            description = "only devices that are online, offline or updating (e.g. online)")
    String targetStatus;

    @Option(names = "--target-timezone", paramLabel = "ZONE", order = 33,
            description = "only devices in this IANA timezone (e.g. Europe/Berlin)")
    String targetTimezone;

    @Option(names = "--target-metadata", paramLabel = "KEY=VALUE,...", order = 34,
            description = "only devices whose metadata holds every pair (e.g. room=kitchen,hw=pi4)")
    String targetMetadata;

    /** Whether a device filter is given, which targets devices instead of {@code --target-devices}. */
    boolean filtersDevices() {
        return targetVersion != null || targetStatus != null || targetTimezone != null || targetMetadata != null;
    }

    /** The form fields for the options given, in the contract's names; a value that cannot be right is refused. */
    Map<String, String> formFields() {
        Map<String, String> fields = new LinkedHashMap<>();
        put(fields, "phases", phases, RolloutOptions::checkPhases);
        put(fields, "soak", soak, text -> checkDuration("--soak", text, false));
        put(fields, "require_approval", requireApproval, String::valueOf);
        put(fields, "success_threshold", successThreshold, text -> checkShare("--success-threshold", text, "95%"));
        put(fields, "failure_threshold", failureThreshold, text -> checkShare("--failure-threshold", text, "5%"));
        put(fields, "min_finished", minFinished, count -> checkAtLeast("--min-finished", count, 1));
        put(fields, "min_sample", minSample, count -> checkAtLeast("--min-sample", count, 1));
        put(fields, "install_timeout", installTimeout, text -> checkDuration("--install-timeout", text, true));
        put(fields, "max_concurrent", maxConcurrent, count -> checkAtLeast("--max-concurrent", count, 1));
        put(fields, "start_at", startAt, text -> checkInstant("--start-at", text));
        put(fields, "auto_rollback", autoRollback, String::valueOf);
        put(fields, "target_version", targetVersion, RolloutOptions::checkVersion);
        put(fields, "target_status", targetStatus, RolloutOptions::checkStatus);
        put(fields, "target_timezone", targetTimezone, RolloutOptions::checkTimezone);
        put(fields, "target_metadata", targetMetadata, RolloutOptions::checkMetadata);
        return fields;
    }

    private static <T> void put(Map<String, String> fields, String name, T given, Function<T, String> checked) {
        if (given != null) {
            fields.put(name, checked.apply(given));
        }
    }

    /**
     * Phases are cumulative, so counts grow among themselves and shares among themselves; whether a count stays below
     * the share after it depends on the fleet, which only the server knows.
     */
    static String checkPhases(String text) {
        String[] items = text.split(",", -1);
        long lastCount = 0;
        BigDecimal lastShare = BigDecimal.ZERO;
        String lastItem = "";
        for (String raw : items) {
            String item = raw.strip();
            Matcher share = SHARE.matcher(item);
            if (COUNT.matcher(item).matches()) {
                long count = parseCount(item);
                if (count <= lastCount) {
                    throw notGrowing(item, lastCount + "");
                }
                lastCount = count;
            } else if (share.matches()) {
                BigDecimal percent = new BigDecimal(share.group(1));
                if (percent.signum() <= 0 || percent.compareTo(HUNDRED) > 0) {
                    throw PackagerException.badInput("--phases: " + item + " is not a share of the target: give one "
                            + "above 0% and at most 100%");
                }
                if (percent.compareTo(lastShare) <= 0) {
                    throw notGrowing(item, lastShare.stripTrailingZeros().toPlainString() + "%");
                }
                lastShare = percent;
            } else {
                throw PackagerException.badInput("--phases: '" + item + "' is not a phase size: give a device count "
                        + "(1, 5) or a share of the target (10%), comma-separated, e.g. 1,10%,50%,100%");
            }
            lastItem = item;
        }
        if (lastShare.compareTo(HUNDRED) != 0 || !SHARE.matcher(lastItem).matches()) {
            throw PackagerException.badInput("--phases must end at 100% so that the rollout reaches every targeted "
                    + "device, not at " + lastItem + " (e.g. 1,10%,50%,100%)");
        }
        return text.strip().replace(" ", "");
    }

    private static long parseCount(String item) {
        try {
            return Long.parseLong(item);
        } catch (NumberFormatException e) {
            throw PackagerException.badInput("--phases: " + item + " devices is more than any fleet");
        }
    }

    private static PackagerException notGrowing(String item, String before) {
        return PackagerException.badInput("--phases are cumulative, each larger than the one before: " + item
                + " comes after " + before + " (e.g. 1,5,10%,50%,100%)");
    }

    /** A share as {@code 95%} or {@code 0.95}; a bare {@code 95} is refused rather than guessed at. */
    static String checkShare(String option, String text, String example) {
        String value = text.strip();
        Matcher percent = SHARE.matcher(value);
        BigDecimal share;
        try {
            share = percent.matches() ? new BigDecimal(percent.group(1)).movePointLeft(2) : new BigDecimal(value);
        } catch (NumberFormatException e) {
            throw PackagerException.badInput(option + ": '" + value + "' is not a share: write it as " + example
                    + " or " + new BigDecimal(example.replace("%", "")).movePointLeft(2).toPlainString());
        }
        if (share.signum() <= 0 || share.compareTo(BigDecimal.ONE) > 0) {
            throw PackagerException.badInput(option + ": " + value + " is " + (share.signum() <= 0 ? "not above 0%"
                    : "above 100%") + ": give a share of the devices above 0% and at most 100% (e.g. " + example
                    + ")" + (percent.matches() || share.signum() <= 0 ? "" : "; for a percentage, write " + value
                    + "%"));
        }
        return value;
    }

    static String checkDuration(String option, String text, boolean positive) {
        Duration duration = Durations.parse(text);
        if (duration == null) {
            throw PackagerException.badInput(option + ": '" + text.strip() + "' is not a duration: write e.g. 90s, "
                    + "30m, 1h, 2d or PT1H");
        }
        if (duration.isNegative() || (positive && duration.isZero())) {
            throw PackagerException.badInput(option + " must be " + (positive ? "longer than 0" : "0 or longer")
                    + ", not " + text.strip());
        }
        return text.strip();
    }

    private static String checkAtLeast(String option, int value, int least) {
        if (value < least) {
            throw PackagerException.badInput(option + " must be " + least + " or more, not " + value);
        }
        return Integer.toString(value);
    }

    /** Sent as an instant in UTC, whichever offset the operator wrote it in. */
    static String checkInstant(String option, String text) {
        String value = text.strip();
        try {
            return Instant.parse(value).toString();
        } catch (DateTimeException e) {
            try {
                return OffsetDateTime.parse(value).toInstant().toString();
            } catch (DateTimeException again) {
                throw PackagerException.badInput(option + ": '" + value + "' is not an ISO-8601 time with its "
                        + "offset: write e.g. 2026-12-03T02:00:00Z or 2026-12-03T03:00+01:00");
            }
        }
    }

    private static String checkVersion(String text) {
        try {
            return Version.parse(text.strip()).toString();
        } catch (IllegalArgumentException e) {
            throw PackagerException.badInput("--target-version: " + e.getMessage());
        }
    }

    private static String checkStatus(String text) {
        try {
            return DeviceStatus.parse(text).wire();
        } catch (IllegalArgumentException e) {
            throw PackagerException.badInput("--target-status: " + e.getMessage());
        }
    }

    private static String checkTimezone(String text) {
        String zone = text.strip();
        try {
            ZoneId.of(zone);
            return zone;
        } catch (DateTimeException e) {
            throw PackagerException.badInput("--target-timezone: '" + zone + "' is not an IANA timezone: write "
                    + "e.g. Europe/Berlin or America/Los_Angeles");
        }
    }

    static String checkMetadata(String text) {
        Map<String, String> pairs = new LinkedHashMap<>();
        for (String raw : text.split(",")) {
            String item = raw.strip();
            int equals = item.indexOf('=');
            String key = equals < 0 ? "" : item.substring(0, equals).strip();
            if (!METADATA_KEY.matcher(key).matches()) {
                throw PackagerException.badInput("--target-metadata: '" + item + "' is not KEY=VALUE with a key of "
                        + "letters, digits, '_', '.' or '-': write e.g. room=kitchen,hw=pi4");
            }
            if (pairs.put(key, item.substring(equals + 1).strip()) != null) {
                throw PackagerException.badInput("--target-metadata: " + key + " is given twice: a device's metadata "
                        + "holds one value per key");
            }
        }
        StringBuilder joined = new StringBuilder();
        pairs.forEach((key, value) -> joined.append(joined.length() == 0 ? "" : ",").append(key).append('=')
                .append(value));
        return joined.toString();
    }
}
