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

  // A claim, release, quick action or refresh redraws the whole board, which would drop a
  // keyboard user's focus to the top of the page. It goes back to the same place on the new
  // board: in the same cell (or a group's claim) the control with the same words, else its first
  // button (Release after "I'm on it"), else its first control; failing that, in the same row
  // (or group, or else the board) the control with the same words, else that place itself.
  var CONTROLS = "button:not([disabled]), a[href], input:not([type=hidden]):not([disabled])";
  var focusWas = null;

  function words(element) {
    return element.tagName + ":" + (element.textContent.trim() || element.name || "");
  }

  // ASSUMPTION: a device is in a table of a kind at most once, and a group keeps its anchor.
  function placeOf(element) {
    var row = element.closest(".triage-row");
    var group = element.closest(".triage-group");
    var home = "#triage-board";
    var part = null;
    if (row) {
      home = '.triage-table[data-kind="' + row.closest(".triage-table").dataset.kind + '"] ' +
        '.triage-row[data-device-id="' + row.dataset.deviceId + '"]';
      var cell = element.closest("td");
      if (cell) part = home + " > td:nth-child(" + (cell.cellIndex + 1) + ")";
    } else if (group) {
      home = '.triage-group[data-group="' + group.dataset.group + '"]';
      if (element.closest(".group-claim")) part = home + " .group-claim";
    }
    return { words: words(element), part: part, home: home };
  }

  function sameWords(root, was) {
    return Array.prototype.find.call(root.querySelectorAll(CONTROLS), function (control) {
      return words(control) === was.words;
    });
  }

  // Only a keyboard user's focus is put back: after a mouse click focus leaves the board's
  // forms, as it always did, so that the board's refresh does not pause.
  function byKeyboard(element) {
    try { return element.matches(":focus-visible"); } catch (e) { return true; }
  }

  function restoreFocus() {
    var was = focusWas;
    focusWas = null;
    var root = board();
    if (!was || !root || root.contains(document.activeElement)) return;
    var part = was.part && root.querySelector(was.part);
    var target = part && (sameWords(part, was) || part.querySelector("button:not([disabled])") ||
      part.querySelector(CONTROLS));
    if (!target) {
      var home = root.querySelector(was.home) || root;
      target = sameWords(home, was) || home;
      if (!target.hasAttribute("tabindex") && !target.matches(CONTROLS)) {
        target.setAttribute("tabindex", "-1");
      }
    }
    target.focus();
  }

  // After settling, when htmx has wired the new board's forms: an Enter pressed at once on
  // the control focused sends it through htmx, not as a whole-page form post.
  document.addEventListener("htmx:afterSettle", restoreFocus);

  // A claim, release or quick action redraws the whole board: notes typed in other rows are
  // carried over to the new board (the form that was sent has sent its own).
  var carried = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var root = event.detail.target;
    if (!root || root.id !== "triage-board") return;
    var active = document.activeElement;
    focusWas = active && root.contains(active) && byKeyboard(active) ? placeOf(active) : null;
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
