package dev.javia.ota.server.security;

import dev.javia.ota.protocol.api.ApiPaths;
import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.authorization.AuthorizationManager;
import org.springframework.security.authorization.AuthorizationResult;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.access.intercept.RequestAuthorizationContext;

import java.util.EnumSet;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Which kinds of key may call a group of routes. A refusal carries the sentence the 403 answer gives; a request
 * without a (known) key is refused without one, and Spring Security answers it 401 instead.
 */
final class Audiences {

    /** The path variable {@link #OWN_DEVICE} compares with the token's device. */
    static final String DEVICE_UUID = "deviceUuid";

    private static final AuthorizationDecision GRANTED = new AuthorizationDecision(true);
    private static final AuthorizationDecision ANONYMOUS = new AuthorizationDecision(false);

    private static final AuthorizationManager<RequestAuthorizationContext> ENROLLING = of(Caller.Role.ADMIN,
            Caller.Role.ENROLLMENT);
    /**
     * Registration: the enrollment key's one route, and admins; and requests without a key, since a device bound to
     * a key registers with its key's proof in the body instead. Only the registration can read that proof, so it
     * refuses a request without a key that has none (401, as here). A device token does not register.
     */
    static final AuthorizationManager<RequestAuthorizationContext> REGISTRATION = (authentication, context) ->
            caller(authentication) == null ? GRANTED : ENROLLING.authorize(authentication, context);
    /** An update's downloads (package, deltas) and status report: admins, and devices (whether it is theirs is checked with the data). */
    static final AuthorizationManager<RequestAuthorizationContext> DEVICES = of(Caller.Role.ADMIN, Caller.Role.DEVICE);
    /** Everything else: admins only. */
    static final AuthorizationManager<RequestAuthorizationContext> OPERATORS = of(Caller.Role.ADMIN);
    /** {@code /api/v1/devices/{deviceUuid}/**}: admins, and the device itself. */
    static final AuthorizationManager<RequestAuthorizationContext> OWN_DEVICE = (authentication, context) -> {
        AuthorizationResult byRole = DEVICES.authorize(authentication, context);
        Caller caller = caller(authentication);
        if (!byRole.isGranted() || caller.isAdmin()) {
            return byRole;
        }
        String deviceUuid = context.getVariables().get(DEVICE_UUID);
        return caller.deviceUuid().equalsIgnoreCase(deviceUuid) ? GRANTED
                : new Refusal("this device token belongs to device " + caller.deviceUuid()
                        + " and opens only that device's endpoints");
    };

    private Audiences() {
    }

    private static AuthorizationManager<RequestAuthorizationContext> of(Caller.Role first, Caller.Role... rest) {
        Set<Caller.Role> allowed = EnumSet.of(first, rest);
        return (authentication, context) -> {
            Caller caller = caller(authentication);
            if (caller == null) {
                return ANONYMOUS;
            }
            return allowed.contains(caller.role()) ? GRANTED : new Refusal(switch (caller.role()) {
                case ENROLLMENT -> "the enrollment key may only register devices (POST " + ApiPaths.REGISTER
                        + "); use an admin key for this";
                case DEVICE -> "a device token opens only its own device's endpoints; use an admin key for this";
                case ADMIN -> "admin keys do not call this endpoint";
            });
        };
    }

    private static Caller caller(Supplier<? extends Authentication> authentication) {
        Authentication current = authentication.get();
        return current != null && current.isAuthenticated() && current.getPrincipal() instanceof Caller caller
                ? caller : null;
    }

    /** A denied decision with the reason the caller is told. */
    static final class Refusal extends AuthorizationDecision {

        private final String reason;

        Refusal(String reason) {
            super(false);
            this.reason = reason;
        }

        String reason() {
            return reason;
        }
    }
}
