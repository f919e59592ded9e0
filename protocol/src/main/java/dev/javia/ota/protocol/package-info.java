/**
 * The wire contract shared by the server, the agent and the packager: the JSON records of the REST API
 * ({@code api}) and the update package format ({@code pkg}). Plain Java and Jackson, no Spring.
 */
package dev.javia.ota.protocol;
