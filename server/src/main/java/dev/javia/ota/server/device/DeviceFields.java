package dev.javia.ota.server.device;

import dev.javia.ota.protocol.api.AgentSettings;
import dev.javia.ota.protocol.api.MessageOrder;
import dev.javia.ota.protocol.api.UpdateWindow;
import dev.javia.ota.protocol.api.WindowSetting;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import dev.javia.ota.server.persistence.JsonColumn;
import dev.javia.ota.server.web.ApiException;
import dev.javia.ota.server.web.UnreadableBodies;

import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/** Validation of what devices send about themselves; each refusal says what to send instead. */
public final class DeviceFields {

    private static final Pattern UUID_TEXT =
            Pattern.compile("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
    private static final Pattern VERSION_TEXT = Pattern.compile("^[\\p{Alnum}._+~-]{1,64}$");
    /** An install step's name as the agent's state file has it: lower-case words joined by '-'. */
    private static final Pattern STEP_TEXT = Pattern.compile("^[a-z][a-z0-9-]{0,31}$");
    private static final int MAX_NAME = 100;
    private static final int MAX_METADATA_BYTES = 16 * 1024;
    /** Far above any format there will be; bounds what a device can make the check compare with. */
    private static final int MAX_PACKAGE_FORMAT = 1000;

    private DeviceFields() {
    }

    /** The canonical (lower-case) form of a device UUID, or a 400 that says what a UUID looks like. */
    public static String deviceUuid(String text) {
        if (text == null || !UUID_TEXT.matcher(text.trim()).matches()) {
            throw ApiException.badRequest("device_uuid must be a UUID such as 0190f7a4-5b6c-7d8e-9f00-112233445566,"
                    + " not '" + text + "'");
        }
        return text.trim().toLowerCase(Locale.ROOT);
    }

    /**
     * A device's public key in its canonical text ({@code ed25519:BASE64}), or null when none was sent; a 400 that
     * says what a key looks like for anything else.
     */
    static String publicKey(String text) {
        if (text == null) {
            return null;
        }
        try {
            return Ed25519Keys.text(Ed25519Keys.publicKey(text));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("public_key must be the device's Ed25519 public key, as the agent derives it"
                    + " from its device-key.pem (ed25519: and the Base64 of 32 bytes): " + e.getMessage());
        }
    }

    static String timezone(String text) {
        if (text == null || text.isBlank()) {
            throw ApiException.badRequest("timezone is required: an IANA zone such as America/Los_Angeles or UTC");
        }
        try {
            return ZoneId.of(text.trim()).getId();
        } catch (DateTimeException e) {
            throw ApiException.badRequest("timezone '" + text + "' is not a known IANA zone:"
                    + " use a name such as America/Los_Angeles, Europe/Berlin or UTC");
        }
    }

    static String deviceName(String text) {
        if (text != null && text.length() > MAX_NAME) {
            throw ApiException.badRequest("device_name is longer than " + MAX_NAME + " characters");
        }
        if (text != null && text.chars().anyMatch(Character::isISOControl)) {
            throw ApiException.badRequest("device_name contains a control character (a line break, a tab or a NUL):"
                    + " send one line of text");
        }
        return text == null || text.isBlank() ? null : text.trim();
    }

    /**
     * Refuses text the database cannot keep: PostgreSQL stores no NUL character in text or jsonb. Other control
     * characters (line breaks in an error message, say) are kept.
     */
    public static String storable(String field, String text) {
        if (text != null && text.indexOf('\0') >= 0) {
            throw ApiException.badRequest(field + " contains a NUL character (\\u0000), which cannot be stored:"
                    + " leave it out");
        }
        return text;
    }

    /**
     * A message's place in its agent run, or null when the device sends none (an older agent): the server then
     * orders it by the time it received it. seq without run_id is such an agent too: there is no run to order in.
     */
    public static MessageOrder order(String runId, Long seq) {
        if (runId == null || seq == null) {
            return null;
        }
        if (runId.isBlank() || runId.length() > MessageOrder.MAX_RUN_ID || runId.chars().anyMatch(Character::isISOControl)) {
            throw ApiException.badRequest("run_id must be 1 to " + MessageOrder.MAX_RUN_ID + " characters without"
                    + " control characters: the id the agent picked when it started, e.g. a random UUID");
        }
        if (seq < 0) {
            throw ApiException.badRequest("seq must be 0 or more: the agent counts its messages upwards");
        }
        return new MessageOrder(runId, seq);
    }

    static String currentVersion(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        if (!VERSION_TEXT.matcher(text.trim()).matches()) {
            throw ApiException.badRequest("current_version '" + text + "' is not a version string"
                    + " (letters, digits and . _ + ~ -, at most 64): send the content of the VERSION file, e.g. v1.2.3");
        }
        return text.trim();
    }

    /**
     * The agent's own version as a heartbeat says it, or null when it says none (an agent before agent releases).
     * Held to the same shape as the app's version: it is shown beside it.
     */
    static String agentVersion(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        if (!VERSION_TEXT.matcher(text.trim()).matches()) {
            throw ApiException.badRequest("agent_version '" + text + "' is not a version string"
                    + " (letters, digits and . _ + ~ -, at most 64): send the agent's VERSION, e.g. v0.2.0");
        }
        return text.trim();
    }

    /**
     * The newest package format the agent reads, or null when the heartbeat says none (an agent before agent
     * releases, which reads format 1 only).
     */
    static Integer packageFormat(Integer format) {
        if (format != null && (format < 1 || format > MAX_PACKAGE_FORMAT)) {
            throw ApiException.badRequest("package_format must be the newest package format the agent reads, 1 to "
                    + MAX_PACKAGE_FORMAT + ", not " + format);
        }
        return format;
    }

    static Map<String, Object> metadata(Map<String, Object> metadata) {
        if (metadata == null) {
            return null;
        }
        String json = JsonColumn.write(metadata);
        if (json.length() > MAX_METADATA_BYTES) {
            throw ApiException.badRequest("metadata is larger than " + MAX_METADATA_BYTES / 1024
                    + " KiB: send hardware and OS facts only");
        }
        // as JSON text a NUL is the escape \u0000, which PostgreSQL's jsonb refuses
        if (json.contains("\\u0000")) {
            throw ApiException.badRequest("metadata contains a NUL character (\\u0000) in a key or a value, which"
                    + " cannot be stored: leave it out");
        }
        return metadata;
    }

    /** The install step a heartbeat names, or null; a newer agent's step the server does not know is kept as it is. */
    static String step(String text) {
        if (text == null) {
            return null;
        }
        if (!STEP_TEXT.matcher(text).matches()) {
            throw ApiException.badRequest("step '" + UnreadableBodies.shown(text) + "' is not an install step's name:"
                    + " lower-case letters, digits and '-', at most 32, e.g. downloading or system-packages");
        }
        return text;
    }

    static Integer progressPercent(Integer percent) {
        if (percent != null && (percent < 0 || percent > 100)) {
            throw ApiException.badRequest("progress_percent must be 0 to 100, not " + percent);
        }
        return percent;
    }

    /** The device's own update hour from its settings, or null when it has none. */
    static Integer updateHour(AgentSettings settings) {
        Integer hour = settings == null ? null : settings.updateHour();
        if (hour != null && (hour < 0 || hour > 23)) {
            throw ApiException.badRequest("settings.update_hour (DEVICE_UPDATE_HOUR) must be an hour 0 to 23, not "
                    + hour);
        }
        return hour;
    }

    /** An operator's window for one device: a start hour and a length the nightly window can have. */
    static UpdateWindow window(WindowSetting window, int fleetMinutes) {
        if (window.startHour() == null || window.startHour() < 0 || window.startHour() > 23) {
            throw ApiException.badRequest("update_window.start_hour must be an hour 0 to 23 (the device's local time),"
                    + " not " + window.startHour());
        }
        int minutes = window.lengthMinutes() == null ? fleetMinutes : window.lengthMinutes();
        if (minutes < 60 || minutes > 720) {
            throw ApiException.badRequest("update_window.length_minutes must be 60 to 720 (1 to 12 hours), not "
                    + minutes + "; leave it out for the fleet's length (" + fleetMinutes + ")");
        }
        return new UpdateWindow(window.startHour(), minutes, UpdateWindow.OPERATOR);
    }
}
