/**
 * Shared persistence plumbing: how enums (as their lower-case wire text) and JSON columns are stored.
 */
package dev.javia.ota.server.persistence;
