/**
 * Test support shared through the server's test-jar: a fresh PostgreSQL database per run, a clock tests set, a
 * real server on a random port for other modules' tests (in-process, or as processes of their own over one
 * database, {@link dev.javia.ota.server.testing.ServerProcess}), and a small HTTP client that shows raw answers.
 */
package dev.javia.ota.server.testing;
