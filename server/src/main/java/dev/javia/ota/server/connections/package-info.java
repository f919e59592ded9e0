/**
 * Tomcat's connections under slow and many clients: deadlines for a request's head and body, and a connection
 * ceiling that sheds the connections waiting longest instead of refusing new ones.
 */
package dev.javia.ota.server.connections;
