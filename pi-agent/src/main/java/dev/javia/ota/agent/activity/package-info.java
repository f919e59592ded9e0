/**
 * What the user is doing: one tracker that answers "idle for how long?", fed by the GPIO button (Pi4J), ALSA's
 * capture and playback state, and a local socket on which the voice-assistant app reports its sessions.
 */
package dev.javia.ota.agent.activity;
