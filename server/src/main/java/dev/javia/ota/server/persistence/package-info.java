/**
 * Shared persistence plumbing: how enums (as their lower-case wire text) and JSON columns are stored, what an
 * operator is told when PostgreSQL refuses the server at start-up, and how the server uses its connections when
 * the database is gone: fail fast, notice at once, recover alone.
 */
package dev.javia.ota.server.persistence;
