package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.DeviceStatus;
import dev.javia.ota.protocol.api.RolloutRules;
import dev.javia.ota.protocol.api.RolloutTarget;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.server.device.DeviceFields;
import dev.javia.ota.server.web.ApiException;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a new update goes out: its phases, the rules the reconciler applies, its target and its start. Parsed from the
 * publish form's optional fields; none given is the seed's behaviour (one phase, everyone or the targets, at once).
 *
 * @param phases the cumulative phase sizes as given ({@code 1}, {@code 10%}, ..., ending at {@code 100%})
 */
record RolloutPlan(List<String> phases, RolloutRules rules, RolloutTarget target, Instant startAt) {

    static final int MAX_PHASES = 20;
    static final RolloutRules DEFAULT_RULES = new RolloutRules(0, 0.95, 5, 0.2, 5, Duration.ofHours(2).toSeconds(),
            null, false, false);

    private static final Pattern COUNT = Pattern.compile("[1-9][0-9]{0,8}");
    private static final Pattern SHARE = Pattern.compile("(100|[1-9]?[0-9](\\.[0-9]{1,3})?)%");
    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})([smhd])");
    private static final Pattern METADATA_KEY = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    /** The seed's behaviour: one phase for the whole target. */
    static RolloutPlan everyone(List<String> targetDevices) {
        return new RolloutPlan(List.of("100%"), DEFAULT_RULES, targetDevices == null ? RolloutTarget.EVERYONE
                : new RolloutTarget(targetDevices, null, null, null, null), null);
    }

    /** The form's rollout fields, each null when not given. */
    record Fields(String phases, String soak, String requireApproval, String successThreshold,
            String failureThreshold, String minFinished, String minSample, String installTimeout,
            String maxConcurrent, String startAt, String autoRollback, String targetVersion, String targetStatus,
            String targetTimezone, String targetMetadata) {

        static final Fields NONE = new Fields(null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null);
    }

    static RolloutPlan parse(Fields fields, List<String> targetDevices) {
        RolloutRules d = DEFAULT_RULES;
        RolloutRules rules = new RolloutRules(
                duration("soak", fields.soak(), Duration.ofSeconds(d.soakSeconds())).toSeconds(),
                share("success_threshold", fields.successThreshold(), d.successThreshold()),
                count("min_finished", fields.minFinished(), d.minFinished()),
                share("failure_threshold", fields.failureThreshold(), d.failureThreshold()),
                count("min_sample", fields.minSample(), d.minSample()),
                positive("install_timeout",
                        duration("install_timeout", fields.installTimeout(),
                                Duration.ofSeconds(d.installTimeoutSeconds()))).toSeconds(),
                blank(fields.maxConcurrent()) ? null : count("max_concurrent", fields.maxConcurrent(), 0),
                flag("auto_rollback", fields.autoRollback()),
                flag("require_approval", fields.requireApproval()));
        return new RolloutPlan(phases(fields.phases()), rules, target(fields, targetDevices),
                instant("start_at", fields.startAt()));
    }

    /**
     * How many devices each phase holds in all, cumulative, for a target of {@code devices}: a count is that many
     * (at most the target), a share is rounded up, so that {@code 1%} of 50 devices is one device and not none. A
     * phase never holds fewer than the one before it.
     */
    List<Long> cumulative(long devices) {
        List<Long> sizes = new ArrayList<>();
        long previous = 0;
        for (String phase : phases) {
            long size = phase.endsWith("%")
                    ? new BigDecimal(phase.substring(0, phase.length() - 1)).multiply(BigDecimal.valueOf(devices))
                            .divide(BigDecimal.valueOf(100), 0, RoundingMode.CEILING).longValueExact()
                    : Math.min(devices, Long.parseLong(phase));
            previous = Math.max(previous, size);
            sizes.add(previous);
        }
        return sizes;
    }

    static List<String> phases(String text) {
        if (blank(text)) {
            return List.of("100%");
        }
        List<String> phases = new ArrayList<>();
        BigDecimal lastShare = BigDecimal.ZERO;
        for (String raw : text.split(",", -1)) {
            String phase = raw.trim().toLowerCase(Locale.ROOT);
            if (SHARE.matcher(phase).matches()) {
                BigDecimal share = new BigDecimal(phase.substring(0, phase.length() - 1));
                if (share.signum() == 0 || share.compareTo(lastShare) <= 0) {
                    throw ApiException.badRequest("phases: each share must be above 0% and above the one before it,"
                            + " not '" + raw.trim() + "' (phases are cumulative, e.g. 1,1%,10%,50%,100%)");
                }
                lastShare = share;
            } else if (!COUNT.matcher(phase).matches()) {
                throw ApiException.badRequest("phases: '" + raw.trim() + "' is neither a device count (e.g. 1) nor a"
                        + " share of the target (e.g. 10%); give a comma-separated list such as 1,1%,10%,50%,100%");
            }
            phases.add(phase);
        }
        if (phases.size() > MAX_PHASES) {
            throw ApiException.badRequest("phases: at most " + MAX_PHASES + " phases, not " + phases.size());
        }
        if (!phases.get(phases.size() - 1).equals("100%")) {
            throw ApiException.badRequest("phases must end at 100%, so that the rollout reaches its whole target"
                    + " (e.g. 1,10%,100%), not at '" + phases.get(phases.size() - 1) + "'");
        }
        return List.copyOf(phases);
    }

    private static RolloutTarget target(Fields fields, List<String> targetDevices) {
        boolean filtered = !blank(fields.targetVersion()) || !blank(fields.targetStatus())
                || !blank(fields.targetTimezone()) || !blank(fields.targetMetadata());
        if (targetDevices != null) {
            if (filtered) {
                throw ApiException.badRequest("give target_devices or the target_* filters, not both: the listed"
                        + " devices are the whole target");
            }
            return new RolloutTarget(targetDevices, null, null, null, null);
        }
        if (!filtered) {
            return RolloutTarget.EVERYONE;
        }
        String version = blank(fields.targetVersion()) ? null : checked(() -> Version.parse(fields.targetVersion()
                .trim()).toString(), "target_version");
        DeviceStatus status = blank(fields.targetStatus()) ? null
                : checked(() -> DeviceStatus.parse(fields.targetStatus()), "target_status");
        String timezone = blank(fields.targetTimezone()) ? null
                : checked(() -> ZoneId.of(fields.targetTimezone().trim()).getId(), "target_timezone");
        return new RolloutTarget(null, version, status, timezone, metadata(fields.targetMetadata()));
    }

    private static Map<String, String> metadata(String text) {
        if (blank(text)) {
            return null;
        }
        Map<String, String> pairs = new LinkedHashMap<>();
        for (String pair : text.split(",")) {
            int equals = pair.indexOf('=');
            String key = equals < 0 ? "" : pair.substring(0, equals).trim();
            if (!METADATA_KEY.matcher(key).matches()) {
                throw ApiException.badRequest("target_metadata: '" + pair.trim() + "' is not key=value (keys of"
                        + " letters, digits, '_', '.', '-'); e.g. target_metadata=model=pi4,room=kitchen");
            }
            pairs.put(key, DeviceFields.storable("target_metadata", pair.substring(equals + 1).trim()));
        }
        return pairs;
    }

    private static Duration duration(String field, String text, Duration fallback) {
        if (blank(text)) {
            return fallback;
        }
        String value = text.trim().toLowerCase(Locale.ROOT);
        Matcher short_ = DURATION.matcher(value);
        if (short_.matches()) {
            long amount = Long.parseLong(short_.group(1));
            return switch (short_.group(2)) {
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
        }
        try {
            Duration parsed = Duration.parse(text.trim().toUpperCase(Locale.ROOT));
            if (!parsed.isNegative()) {
                return parsed;
            }
        } catch (DateTimeParseException e) {
            // answered below
        }
        throw ApiException.badRequest(field + ": '" + text.trim() + "' is not a duration; give e.g. 90s, 30m, 1h, 2d"
                + " or PT1H");
    }

    private static Duration positive(String field, Duration duration) {
        if (duration.isZero()) {
            throw ApiException.badRequest(field + " must be longer than 0, e.g. 2h");
        }
        return duration;
    }

    private static double share(String field, String text, double fallback) {
        if (blank(text)) {
            return fallback;
        }
        String value = text.trim();
        try {
            BigDecimal share = value.endsWith("%")
                    ? new BigDecimal(value.substring(0, value.length() - 1).trim()).movePointLeft(2)
                    : new BigDecimal(value);
            if (share.signum() > 0 && share.compareTo(BigDecimal.ONE) <= 0) {
                return share.doubleValue();
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badRequest(field + ": '" + value + "' is not a share above 0 and at most 100%; give e.g."
                + " 95% or 0.95");
    }

    private static int count(String field, String text, int fallback) {
        if (blank(text)) {
            return fallback;
        }
        if (!COUNT.matcher(text.trim()).matches()) {
            throw ApiException.badRequest(field + ": '" + text.trim() + "' is not a whole number of at least 1");
        }
        return Integer.parseInt(text.trim());
    }

    private static boolean flag(String field, String text) {
        if (blank(text)) {
            return false;
        }
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw ApiException.badRequest(field + ": '" + text.trim() + "' is not true or false");
        };
    }

    private static Instant instant(String field, String text) {
        if (blank(text)) {
            return null;
        }
        try {
            return Instant.parse(text.trim());
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest(field + ": '" + text.trim() + "' is not an ISO-8601 instant; give e.g."
                    + " 2026-12-24T09:00:00Z");
        }
    }

    private static <T> T checked(java.util.function.Supplier<T> parse, String field) {
        try {
            return parse.get();
        } catch (RuntimeException e) {
            throw ApiException.badRequest(field + ": " + e.getMessage());
        }
    }

    private static boolean blank(String text) {
        return text == null || text.isBlank();
    }
}
