package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.server.persistence.WireEnumConverter;
import jakarta.persistence.Converter;

@Converter
class UpdateStatusConverter extends WireEnumConverter<UpdateStatus> {

    UpdateStatusConverter() {
        super(UpdateStatus.class);
    }
}
