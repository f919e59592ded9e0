package dev.javia.ota.server.security;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import java.util.Optional;
import java.util.UUID;

/** Finds the device a token belongs to, by the token's hash. */
@Component
class DeviceTokens {

    private final JdbcClient jdbc;

    DeviceTokens(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    Optional<Caller> find(String tokenHash) {
        return jdbc.sql("select id, device_uuid from devices where token_hash = ?")
                .param(tokenHash)
                .query((rs, row) -> Caller.device(rs.getObject("id", UUID.class), rs.getString("device_uuid")))
                .optional();
    }
}
