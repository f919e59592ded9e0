package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.server.persistence.WireEnumConverter;
import jakarta.persistence.Converter;

@Converter
class UpdateTypeConverter extends WireEnumConverter<UpdateType> {

    UpdateTypeConverter() {
        super(UpdateType.class);
    }
}
