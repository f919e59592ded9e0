/** The audit log: every operator action with who, when, what and from where; append-only, readable through the API. */
package dev.javia.ota.server.audit;
