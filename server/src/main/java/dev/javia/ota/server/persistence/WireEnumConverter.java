package dev.javia.ota.server.persistence;

import jakarta.persistence.AttributeConverter;

import java.util.Locale;

/** Stores an enum as its lower-case wire text ('pending'), never as an ordinal, as the seed's SQL expects. */
public abstract class WireEnumConverter<E extends Enum<E>> implements AttributeConverter<E, String> {

    private final Class<E> type;

    protected WireEnumConverter(Class<E> type) {
        this.type = type;
    }

    @Override
    public String convertToDatabaseColumn(E value) {
        return value == null ? null : value.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public E convertToEntityAttribute(String text) {
        return text == null ? null : Enum.valueOf(type, text.toUpperCase(Locale.ROOT));
    }
}
