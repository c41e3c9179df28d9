// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  function currentTheme() {
    var chosen = document.documentElement.getAttribute("data-theme");
    if (chosen) return chosen;
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function showTheme(button) {
    var dark = currentTheme() === "dark";
    button.setAttribute("aria-pressed", dark ? "true" : "false");
  }

  // Periodic refreshes: htmx trigger filters ("every 30s [cond]") are evaluated as code, which
  // the Content-Security-Policy forbids; so an element with data-refresh-every="N" gets a
  // "refresh" event every N seconds instead, unless the page is hidden or the global function
  // named by its data-refresh-guard says to wait. htmx calls onLoad for the page and each swap.
  function startRefresh(element) {
    var seconds = parseFloat(element.getAttribute("data-refresh-every"));
    if (element.refreshTimer || !(seconds > 0)) return;
    element.refreshTimer = setInterval(function () {
      if (!document.body.contains(element)) { clearInterval(element.refreshTimer); return; }
      if (document.hidden) return;
      var guard = window[element.getAttribute("data-refresh-guard") || ""];
      if (typeof guard === "function" && !guard()) return;
      htmx.trigger(element, "refresh");
    }, seconds * 1000);
  }

  if (window.htmx) {
    htmx.onLoad(function (root) {
      var found = Array.prototype.slice.call(root.querySelectorAll("[data-refresh-every]"));
      if (root.matches && root.matches("[data-refresh-every]")) found.push(root);
      found.forEach(startRefresh);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.documentElement.classList.add("js");

    document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
      showTheme(button);
      button.addEventListener("click", function () {
        var next = currentTheme() === "dark" ? "light" : "dark";
        document.documentElement.setAttribute("data-theme", next);
        try { localStorage.setItem("theme", next); } catch (e) { /* not remembered */ }
        showTheme(button);
      });
    });

    // The organization switcher submits on change; its button remains for no-JS use.
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  });
})();

// A form marked data-once is sent once: its button disables itself on submit, so a double
// click sends one request (an action form's one-time key also makes the server refuse a
// reused one; a create, an edit or a maintenance record has no such key).
(function () {
  "use strict";

  function lock(form) {
    if (form.dataset.sent === "1") return false;
    form.dataset.sent = "1";
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      button.dataset.label = button.textContent;
      button.textContent = "Sending…";
    });
    return true;
  }

  // A form marked data-confirm asks its question first (an action that takes a device
  // offline); registered before data-once, so that a "no" leaves the button usable.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-confirm]") || form.dataset.sent === "1") return;
    if (!window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-once]")) return;
    if (!lock(form)) event.preventDefault();
  }, true);

  // A page restored from the back/forward cache shows its buttons usable again; the
  // one-time key still stops a resend, and the server says so.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.dataset.sent = "";
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = false;
        button.removeAttribute("aria-busy");
        if (button.dataset.label) button.textContent = button.dataset.label;
      });
    });
  });
})();
