// Device pages: an action form is sent once. The button disables itself on submit, so a
// double click sends one request (the server also refuses a reused one-time key).
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

// The timeline is a part the page loads: when it cannot be loaded the page says so in words
// and keeps its own address, where the timeline is a page of its own.
(function () {
  "use strict";

  function failed(event) {
    var body = event.detail && event.detail.elt;
    if (!body || body.id !== "timeline-body" || !body.dataset.timelineUrl) return;
    var words = document.createElement("p");
    words.className = "message message-warning";
    words.setAttribute("role", "status");
    words.textContent = "The timeline could not be loaded. The rest of this page is unaffected. ";
    var link = document.createElement("a");
    link.href = body.dataset.timelineUrl;
    link.textContent = "Open the timeline on its own page";
    words.appendChild(link);
    words.appendChild(document.createTextNode("."));
    body.replaceChildren(words);
  }

  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);
})();
