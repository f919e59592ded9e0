// The dashboard's few scripts. Every page works without them (forms post, links load); with them, fragments are
// swapped in place when the page's stream says something changed (htmx and its SSE extension), times show in the
// operator's own zone, and the "Live" badge says whether the page follows the fleet.
(function () {
  'use strict';

  // htmx requests that change something carry the session's CSRF token, as forms carry it in a hidden field.
  document.addEventListener('htmx:configRequest', function (event) {
    var token = document.querySelector('meta[name="csrf-token"]');
    var header = document.querySelector('meta[name="csrf-header"]');
    if (token && header) {
      event.detail.headers[header.content] = token.content;
    }
  });

  // A fragment answered 401: the session ended (signed out elsewhere, expired): load the page, which signs in.
  document.addEventListener('htmx:responseError', function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 401) {
      window.location.reload();
    }
  });

  function live(state, text) {
    var badge = document.getElementById('live');
    if (!badge) {
      return;
    }
    badge.hidden = false;
    badge.dataset.state = state;
    badge.textContent = text;
  }

  document.addEventListener('htmx:sseOpen', function () {
    live('live', 'Live');
  });
  document.addEventListener('htmx:sseMessage', function (event) {
    if (event.detail && event.detail.type === 'not-live') {
      live('stale', 'Not live: reload for the latest');
    } else if (event.detail && event.detail.type === 'open') {
      live('live', 'Live');
    }
  });
  document.addEventListener('htmx:sseError', function () {
    live('stale', 'Reconnecting…');
  });

  // A page left for another closes its live stream at once. A page kept in the browser's back-forward cache would
  // otherwise hold its stream open, and a browser opens at most six connections to one server over HTTP/1.1: a few
  // pages later the next one waits for a connection that never frees. Coming back to such a page loads it again
  // (the fleet moved on meanwhile).
  window.addEventListener('pagehide', function () {
    document.querySelectorAll('[sse-connect]').forEach(function (element) {
      // the SSE extension closes an element's EventSource when htmx cleans the element up
      if (window.htmx) {
        window.htmx.trigger(element, 'htmx:beforeCleanupElement');
      }
    });
  });
  window.addEventListener('pageshow', function (event) {
    if (event.persisted) {
      window.location.reload();
    }
  });

  // <time datetime="..." data-local> shows in the browser's zone; without this script it shows UTC.
  var formats = {
    datetime: new Intl.DateTimeFormat(undefined, {dateStyle: 'medium', timeStyle: 'short'}),
    time: new Intl.DateTimeFormat(undefined, {timeStyle: 'short'})
  };

  function localTimes(root) {
    (root || document).querySelectorAll('time[data-local]').forEach(function (element) {
      var at = new Date(element.getAttribute('datetime'));
      if (!isNaN(at)) {
        element.title = element.getAttribute('datetime');
        element.textContent = (formats[element.dataset.local] || formats.datetime).format(at);
      }
    });
    (root || document).querySelectorAll('[data-operator-zone]').forEach(function (element) {
      element.textContent = Intl.DateTimeFormat().resolvedOptions().timeZone;
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    localTimes(document);
  });
  document.addEventListener('htmx:afterSwap', function (event) {
    localTimes(event.detail.target.parentNode || document);
  });
})();
