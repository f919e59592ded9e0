/**
 * The operator's two commands: {@code create_update} builds an update package from {@code pi_client/}, checks it the
 * way the server and the agent will, and publishes it with its rollout; {@code javia-ota} follows and steers rollouts.
 */
package dev.javia.ota.packager;
