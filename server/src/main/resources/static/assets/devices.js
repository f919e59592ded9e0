// The overview's and the devices pages' one script: a page left for another closes its live stream at once. A page
// kept in the browser's back-forward cache would otherwise hold its stream open, and a browser opens at most six
// connections to one server over HTTP/1.1: a few pages later the next one waits for a connection that never frees.
// Coming back to such a page loads it again (the fleet moved on meanwhile).
(function () {
  'use strict';

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
})();
