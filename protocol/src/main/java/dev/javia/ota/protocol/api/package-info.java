/**
 * Request and response bodies of the REST API, named for the resource, with snake_case field names as the
 * seed's columns. Fields are only ever added, never renamed: agents in the field read these for months.
 */
package dev.javia.ota.protocol.api;
