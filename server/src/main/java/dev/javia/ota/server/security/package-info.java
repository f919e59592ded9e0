/**
 * Who is calling, on Spring Security: {@link dev.javia.ota.server.security.ApiKeys} resolves the {@code X-API-Key}
 * (an admin key, the enrollment key or a device token) to a {@link dev.javia.ota.server.security.Caller}, and
 * {@link dev.javia.ota.server.security.SecurityConfiguration} says which kinds of key each route admits, denying
 * the rest, behind a firewall that refuses paths not in canonical form.
 */
package dev.javia.ota.server.security;
