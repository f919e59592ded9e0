/** Notifications: webhook subscriptions, the outbox of events, and the job that delivers them signed, with retries. */
package dev.javia.ota.server.notify;
