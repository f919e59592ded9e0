/**
 * Notifications: webhook subscriptions, the outbox of events, and the job that delivers them signed, with retries;
 * managed through the API and the dashboard's webhook pages, which call the same {@code Webhooks}.
 */
package dev.javia.ota.server.notify;
