/**
 * The agent's settings: read from the environment and a {@code .env} file, checked once at start, with a message
 * that names each setting that is wrong.
 */
package dev.javia.ota.agent.config;
