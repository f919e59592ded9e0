/**
 * Test support shared through the server's test-jar: a fresh PostgreSQL database per run, a clock tests set, a
 * real server on a random port for other modules' tests, and a small HTTP client that shows raw answers.
 */
package dev.javia.ota.server.testing;
