// The "Save view" and "Update the view" forms keep the list's state as the page was drawn;
// the list's filters change the address bar without redrawing them, so on submit they take
// the address bar's query while it holds the list's whole state: on the device list, or a
// view's page changed on the page (`adjusted=1`). A view's own URL as saved keeps its own.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-save-view]")) return;
    var onList = window.location.pathname === form.getAttribute("data-list-path");
    var adjusted = new URLSearchParams(window.location.search).get("adjusted") === "1";
    if (!onList && !adjusted) return;
    var query = form.querySelector("input[name=query]");
    if (query) query.value = window.location.search.replace(/^\?/, "");
  });
})();
