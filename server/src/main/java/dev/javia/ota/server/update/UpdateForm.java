package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.DebianPackageNames;
import dev.javia.ota.protocol.pkg.UpdateMetadata;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.server.device.DeviceFields;
import dev.javia.ota.server.web.ApiException;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;

/** The validated text fields of {@code POST /api/v1/updates/create}; {@code targetDevices} null means everyone. */
record UpdateForm(Version version, UpdateType updateType, String description, List<String> systemPackages,
        List<String> targetDevices) {

    static UpdateForm parse(String version, String description, String updateType, String systemPackages,
            String targetDevices) {
        Version parsedVersion = parse(() -> Version.parse(required(version, "version", "e.g. v1.2.3")));
        UpdateType type = parse(() -> UpdateType.parse(required(updateType, "update_type", UpdateType.allowed())));
        String text = DeviceFields.storable("description", description == null ? "" : description.trim());
        if (text.length() > UpdateMetadata.MAX_DESCRIPTION_LENGTH) {
            throw ApiException.badRequest("description is longer than " + UpdateMetadata.MAX_DESCRIPTION_LENGTH + " characters");
        }
        List<String> packages = parse(() -> DebianPackageNames.parseList(systemPackages));
        return new UpdateForm(parsedVersion, type, text, packages, targets(targetDevices));
    }

    static List<String> targets(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        List<String> uuids = Arrays.stream(text.split("[,\\s]+")).filter(s -> !s.isBlank())
                .map(DeviceFields::deviceUuid).toList();
        return List.copyOf(new LinkedHashSet<>(uuids));
    }

    private static String required(String value, String field, String hint) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " is required (" + hint + ")");
        }
        return value.trim();
    }

    private static <T> T parse(java.util.function.Supplier<T> parser) {
        try {
            return parser.get();
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }
}
