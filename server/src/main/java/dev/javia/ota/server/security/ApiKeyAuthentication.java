package dev.javia.ota.server.security;

import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.AuthorityUtils;

/**
 * An {@code X-API-Key} on its way through Spring Security: unauthenticated it holds the key as presented;
 * authenticated it holds the {@link Caller} the key belongs to, and the key itself is gone.
 */
final class ApiKeyAuthentication extends AbstractAuthenticationToken {

    private final Caller caller;
    private String key;

    private ApiKeyAuthentication(String key, Caller caller) {
        super(caller == null ? AuthorityUtils.NO_AUTHORITIES
                : AuthorityUtils.createAuthorityList("ROLE_" + caller.role().name()));
        this.key = key;
        this.caller = caller;
        setAuthenticated(caller != null);
    }

    static ApiKeyAuthentication presented(String key) {
        return new ApiKeyAuthentication(key, null);
    }

    static ApiKeyAuthentication of(Caller caller) {
        return new ApiKeyAuthentication(null, caller);
    }

    String key() {
        return key;
    }

    @Override
    public Object getCredentials() {
        return key;
    }

    @Override
    public Object getPrincipal() {
        return caller;
    }

    @Override
    public void eraseCredentials() {
        key = null;
    }
}
