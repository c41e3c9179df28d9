// The triage board refreshes itself; no refresh may throw away a note someone is writing.
(function () {
  "use strict";

  var FIELDS = 'input:not([type="hidden"]):not([type="checkbox"]):not([type="radio"]), textarea';

  function board() { return document.getElementById("triage-board"); }

  // Fields of `root` holding text that was typed and not sent.
  function unsent(root) {
    return Array.prototype.filter.call(root.querySelectorAll(FIELDS), function (field) {
      return field.value !== field.defaultValue;
    });
  }

  function showPaused(paused) {
    var note = document.getElementById("triage-paused");
    if (note) note.hidden = !paused;
  }

  // The filter of the board's periodic refresh: it waits while someone uses the board's forms,
  // has typed a note not sent yet, or is selecting text on it.
  window.triageRefreshAllowed = function () {
    var root = board();
    if (!root || document.hidden) return false;
    var typed = unsent(root).length > 0;
    showPaused(typed);
    if (typed) return false;
    var active = document.activeElement;
    if (active && root.contains(active) && active.closest("form")) return false;
    var selection = window.getSelection && window.getSelection();
    if (selection && !selection.isCollapsed && root.contains(selection.anchorNode)) return false;
    return true;
  };

  document.addEventListener("input", function (event) {
    var root = board();
    if (root && root.contains(event.target)) showPaused(unsent(root).length > 0);
  });

  // A claim, release or quick action redraws the whole board: notes typed in other rows are
  // carried over to the new board (the form that was sent has sent its own).
  var carried = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var root = event.detail.target;
    if (!root || root.id !== "triage-board") return;
    var sent = event.detail.requestConfig && event.detail.requestConfig.elt;
    carried = {};
    unsent(root).forEach(function (field) {
      if (field.id && !(sent && sent.contains(field))) carried[field.id] = field.value;
    });
  });
  document.addEventListener("htmx:afterSwap", function () {
    if (!carried) return;
    Object.keys(carried).forEach(function (id) {
      var field = document.getElementById(id);
      if (field) field.value = carried[id];
    });
    carried = null;
    var root = board();
    showPaused(Boolean(root) && unsent(root).length > 0);
  });
})();
