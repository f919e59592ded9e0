package dev.javia.ota.server.security;

import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.AuthorityUtils;

/**
 * A dashboard session's operator: the admin {@link Caller} its key named at sign-in, and the hash of that key (never
 * the key), so that every page can check the key is still configured. Kept serialized in the session's row.
 */
final class DashboardAuthentication extends AbstractAuthenticationToken {

    private static final long serialVersionUID = 1L;

    private final Caller caller;
    private final String keyHash;

    DashboardAuthentication(Caller caller, String keyHash) {
        super(AuthorityUtils.createAuthorityList("ROLE_" + caller.role().name()));
        this.caller = caller;
        this.keyHash = keyHash;
        setAuthenticated(true);
    }

    String keyHash() {
        return keyHash;
    }

    @Override
    public Object getCredentials() {
        return null;
    }

    @Override
    public Object getPrincipal() {
        return caller;
    }

    @Override
    public String getName() {
        return caller.name();
    }
}
