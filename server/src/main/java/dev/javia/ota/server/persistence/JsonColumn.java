package dev.javia.ota.server.persistence;

import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads and writes the jsonb columns (device metadata, system packages, targets). */
public final class JsonColumn {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private JsonColumn() {
    }

    public static String write(Object value) {
        return JSON.writeValueAsString(value);
    }

    public static <T> T read(String json, Class<T> type) {
        return json == null ? null : JSON.readValue(json, type);
    }

    public static <T> T read(String json, TypeReference<T> type) {
        return json == null ? null : JSON.readValue(json, type);
    }

    public static Map<String, Object> readObject(String json) {
        if (json == null || json.isBlank()) {
            return new LinkedHashMap<>();
        }
        return JSON.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() { });
    }

    public static List<String> readStrings(String json) {
        if (json == null || json.isBlank()) {
            return List.of();
        }
        return JSON.readValue(json, new TypeReference<List<String>>() { });
    }
}
