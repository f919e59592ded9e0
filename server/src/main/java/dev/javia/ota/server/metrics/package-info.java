/**
 * The fleet's gauges and the check-in counter for Prometheus ({@code /actuator/prometheus}): read from memory at a
 * scrape, refreshed on a timer from a few small queries that never count the devices table.
 */
package dev.javia.ota.server.metrics;
