/**
 * Who is calling: the {@code X-API-Key} filter resolves an admin key, the enrollment key or a device token to a
 * {@link dev.javia.ota.server.security.Caller}, and refuses a key of the wrong kind before any controller runs.
 */
package dev.javia.ota.server.security;
