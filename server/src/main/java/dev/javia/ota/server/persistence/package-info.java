/**
 * Shared persistence plumbing: how enums (as their lower-case wire text) and JSON columns are stored, and how the
 * server uses its database connections when the database is gone: fail fast, notice at once, recover alone.
 */
package dev.javia.ota.server.persistence;
