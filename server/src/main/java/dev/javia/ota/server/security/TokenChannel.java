package dev.javia.ota.server.security;

import dev.javia.ota.server.events.Channel;
import org.springframework.stereotype.Component;

import java.util.UUID;

/** The revoked device tokens another instance (or this one) announced ({@link DeviceTokens#revoked}): evicted here. */
@Component
class TokenChannel implements Channel {

    private final DeviceTokens tokens;

    TokenChannel(DeviceTokens tokens) {
        this.tokens = tokens;
    }

    @Override
    public String name() {
        return DeviceTokens.CHANNEL;
    }

    @Override
    public void received(String payload) {
        UUID deviceId;
        try {
            deviceId = UUID.fromString(payload);
        } catch (IllegalArgumentException e) {
            // not ours to read: forget everything rather than keep a token someone meant to revoke
            tokens.listening();
            return;
        }
        tokens.forgetDevice(deviceId);
    }

    @Override
    public void listening() {
        tokens.listening();
    }

    @Override
    public void notListening() {
        tokens.notListening();
    }
}
