package dev.javia.ota.protocol.api;

/** The REST paths and the header every call carries, in one place for the server and its clients. */
public final class ApiPaths {

    public static final String API_KEY_HEADER = "X-API-Key";
    public static final String BASE = "/api/v1";
    public static final String REGISTER = BASE + "/devices/register";
    public static final String DEVICES = BASE + "/devices/";
    /** Anonymous: a challenge for a device bound to a key, which it signs to register again. */
    public static final String CHALLENGE = BASE + "/devices/challenge";

    private ApiPaths() {
    }

    public static String device(String deviceUuid) {
        return BASE + "/devices/" + deviceUuid;
    }

    public static String heartbeat(String deviceUuid) {
        return device(deviceUuid) + "/heartbeat";
    }

    public static String check(String deviceUuid) {
        return device(deviceUuid) + "/updates/check";
    }

    /**
     * The device's long poll ({@code ?cursor=}, the {@code push_cursor} of its last check): answered as soon as what
     * the server offers it differs from the cursor, else after a bounded hold with "nothing, wait again".
     */
    public static String deviceWait(String deviceUuid) {
        return device(deviceUuid) + "/wait";
    }

    public static String deviceUpdates(String deviceUuid) {
        return device(deviceUuid) + "/updates";
    }

    /** Admin keys: forget the key bound to a device (a lost or replaced SD card), audit-logged. */
    public static String resetDeviceKey(String deviceUuid) {
        return device(deviceUuid) + "/reset-key";
    }

    public static String deviceStatus(String deviceUuid) {
        return device(deviceUuid) + "/status";
    }

    public static final String UPDATES = BASE + "/updates/";
    public static final String CREATE_UPDATE = BASE + "/updates/create";

    public static String download(Object updateId) {
        return BASE + "/updates/" + updateId + "/download";
    }

    /** The delta of an update from {@code baseVersion} (vMAJOR.MINOR.PATCH), downloaded as the package is. */
    public static String deltaDownload(Object updateId, String baseVersion) {
        return BASE + "/updates/" + updateId + "/deltas/" + baseVersion + "/download";
    }

    public static String update(Object updateId) {
        return BASE + "/updates/" + updateId;
    }

    public static String updateDevices(Object updateId) {
        return update(updateId) + "/devices";
    }

    public static String installNow(Object updateId, String deviceUuid) {
        return updateDevices(updateId) + "/" + deviceUuid + "/install-now";
    }

    public static String retry(Object updateId, String deviceUuid) {
        return updateDevices(updateId) + "/" + deviceUuid + "/retry";
    }

    /** The audit log: who did what, newest first (admin keys only). */
    public static final String AUDIT = BASE + "/audit";

    public static String updateStatus(Object updateId) {
        return BASE + "/updates/" + updateId + "/status";
    }

    public static final String ROLLOUTS = BASE + "/rollouts";

    public static String rollout(Object rolloutId) {
        return ROLLOUTS + "/" + rolloutId;
    }

    /** An operator's action on a rollout: approve, start, pause, resume, advance, cancel, retry-failed, rollback. */
    public static String rolloutAction(Object rolloutId, String action) {
        return rollout(rolloutId) + "/" + action;
    }

    public static final String WEBHOOKS = BASE + "/webhooks";

    public static String webhook(Object webhookId) {
        return WEBHOOKS + "/" + webhookId;
    }

    public static String webhookDeliveries(Object webhookId) {
        return webhook(webhookId) + "/deliveries";
    }
}
