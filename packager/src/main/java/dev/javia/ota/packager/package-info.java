/**
 * The operator's two commands: {@code create_update} builds an update package from {@code pi_client/}, checks it the
 * way the server and the agent will, signs it with the publisher's key and publishes it with its rollout (and makes
 * and uses that key: keygen, sign, signed rollbacks, device key resets); {@code javia-ota} follows and steers rollouts.
 */
package dev.javia.ota.packager;
