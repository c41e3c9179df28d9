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
