/**
 * The {@code create_update} command: builds an update package from {@code pi_client/}, checks it the way the server
 * and the agent will, and publishes it to the server with a streaming, retried upload.
 */
package dev.javia.ota.packager;
