// The fleet list's keyboard and selection. The page works without it.
// Keys: "/" search, j/k next/previous row, Enter open, x select, "?" this list.
(function () {
  "use strict";

  var selected = new Set();   // device ids ticked, kept across refreshes
  var currentId = null;       // the row j/k points at, kept across refreshes

  function rows() { return Array.prototype.slice.call(document.querySelectorAll(".fleet-row")); }

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName));
  }

  // The periodic refresh waits while someone is using the table or reading a selection.
  window.fleetRefreshAllowed = function () {
    if (document.hidden) return false;
    var active = document.activeElement;
    if (active && active.closest && active.closest("#device-rows")) return false;
    var text = window.getSelection && String(window.getSelection());
    if (text) return false;
    if (document.querySelector("dialog[open]")) return false;
    return true;
  };

  function mark(id) {
    currentId = id;
    rows().forEach(function (row) {
      var on = row.dataset.deviceId === id;
      row.classList.toggle("is-current", on);
      if (on) {
        row.setAttribute("aria-current", "true");
        row.scrollIntoView({ block: "nearest" });
      } else {
        row.removeAttribute("aria-current");
      }
    });
  }

  function move(step) {
    var list = rows();
    if (!list.length) return;
    var index = list.findIndex(function (r) { return r.dataset.deviceId === currentId; });
    index = index < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(Math.max(index + step, 0), list.length - 1);
    mark(list[index].dataset.deviceId);
  }

  function restore() {
    document.querySelectorAll('#device-rows input[name="device"]').forEach(function (box) {
      box.checked = selected.has(box.value);
    });
    if (currentId) mark(currentId);
    updateCount();
  }

  function updateCount() {
    var out = document.getElementById("selected-count");
    if (out) out.textContent = String(selected.size);
    var hidden = document.getElementById("bulk-selected");
    if (hidden) hidden.value = Array.from(selected).join(",");
    document.querySelectorAll("[data-needs-selection]").forEach(function (b) { b.disabled = selected.size === 0; });
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches('#device-rows input[name="device"]')) {
      if (box.checked) selected.add(box.value); else selected.delete(box.value);
      updateCount();
    } else if (box.id === "select-page") {
      document.querySelectorAll('#device-rows input[name="device"]').forEach(function (b) {
        b.checked = box.checked;
        if (box.checked) selected.add(b.value); else selected.delete(b.value);
      });
      updateCount();
    }
  });

  document.addEventListener("htmx:afterSwap", restore);
  document.addEventListener("htmx:oobAfterSwap", updateCount);
  document.addEventListener("DOMContentLoaded", restore);

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") {
        // Esc only leaves the box: the browser's own Esc would empty a search box and
        // so reload the whole fleet without the filter.
        if (event.target.type === "search") event.preventDefault();
        event.target.blur();
      }
      return;
    }
    var dialog = document.getElementById("keys-dialog");
    switch (event.key) {
      case "/":
        var search = document.getElementById("fleet-q");
        if (search) { event.preventDefault(); search.focus(); search.select(); }
        break;
      case "j": move(1); break;
      case "k": move(-1); break;
      case "Enter":
        var row = document.querySelector(".fleet-row.is-current");
        if (row && !event.target.closest("a, button")) { event.preventDefault(); window.location.href = row.dataset.href; }
        break;
      case "x":
        var current = document.querySelector('.fleet-row.is-current input[name="device"]');
        if (current) { current.click(); }
        break;
      case "?":
        if (dialog && dialog.showModal) { event.preventDefault(); dialog.showModal(); }
        break;
    }
  });
})();
