/**
 * Shared HTTP plumbing only: the exceptions that become RFC 9457 problem details, and the advice that makes every
 * error one, with a message a person can act on and never a stack trace.
 */
package dev.javia.ota.server.web;
