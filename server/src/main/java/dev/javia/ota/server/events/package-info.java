/**
 * What one server instance hears of writes made on any instance, over PostgreSQL {@code LISTEN/NOTIFY} on one
 * connection of its own ({@link dev.javia.ota.server.events.DatabaseListener}): revoked device tokens (the token
 * cache), and the fleet's changes ({@link dev.javia.ota.server.events.FleetEvents}) that the dashboard's streams
 * and the devices' push channel follow. Notifications are sent in the writer's transaction, by triggers
 * (db/migration/V13) or by the writer, so they arrive only once it committed; they are not replayed, so a channel
 * told that the listener listens again reads again what it derived from them.
 */
package dev.javia.ota.server.events;
