package dev.javia.ota.server.persistence;

import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;

import java.util.List;

@Converter
public class StringListJsonConverter implements AttributeConverter<List<String>, String> {

    @Override
    public String convertToDatabaseColumn(List<String> value) {
        return value == null ? null : JsonColumn.write(value);
    }

    @Override
    public List<String> convertToEntityAttribute(String json) {
        return json == null ? null : JsonColumn.readStrings(json);
    }
}
