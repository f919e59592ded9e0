// The scheduling form (/rollouts/new): the operator's timezone is the browser's, so that the start time typed and
// the preview's "your time" are the operator's own. Without this script the form says UTC and still works.
(function () {
  'use strict';

  function browserZone() {
    var select = document.querySelector('select[data-browser-zone]');
    if (!select || select.dataset.filled) {
      return;
    }
    select.dataset.filled = 'true';
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone || select.value !== 'UTC' || zone === 'UTC') {
      return; // a zone the operator chose, or redisplayed after a refusal, stays
    }
    var known = Array.prototype.some.call(select.options, function (option) {
      return option.value === zone;
    });
    if (!known) {
      var option = document.createElement('option');
      option.value = zone;
      option.textContent = zone;
      select.appendChild(option);
    }
    select.value = zone;
    // the preview follows: it listens for changes in the form
    select.dispatchEvent(new Event('change', {bubbles: true}));
  }

  document.addEventListener('DOMContentLoaded', browserZone);
  // htmx may load after this script: fill again once it is there, so that its change listener hears the zone
  document.addEventListener('htmx:load', browserZone);
})();
