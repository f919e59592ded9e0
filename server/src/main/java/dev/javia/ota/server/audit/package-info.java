/**
 * The audit log: every operator action with who, when, what and from where; append-only, readable through the API
 * and on the dashboard's {@code /audit}, with the same filters.
 */
package dev.javia.ota.server.audit;
