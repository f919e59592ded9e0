/**
 * Shared persistence plumbing: how enums (as their lower-case wire text) and JSON columns are stored, and what an
 * operator is told when PostgreSQL refuses the server at start-up.
 */
package dev.javia.ota.server.persistence;
