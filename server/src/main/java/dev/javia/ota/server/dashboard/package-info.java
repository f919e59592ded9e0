/**
 * The operator's dashboard, served by the server at {@code /}: server-rendered pages (Thymeleaf, templates in
 * {@code templates/dashboard}) over the same services, rules and audit log as the operator's API, with htmx
 * swapping fragments in place when the page's stream ({@link dev.javia.ota.server.dashboard.EventStreams}) says
 * something changed. Every page works without JavaScript, by reloading. Who may open it is decided in
 * {@code security/DashboardSecurity}.
 */
package dev.javia.ota.server.dashboard;
