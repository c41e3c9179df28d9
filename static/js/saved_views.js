// The "Save view" form keeps the list's state as the page was drawn; the list's filters
// change the address bar without redrawing the form, so on submit the form takes the
// address bar's query while it is the device list's (a saved view's own URL keeps its own).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-save-view]")) return;
    if (window.location.pathname !== form.getAttribute("data-list-path")) return;
    var query = form.querySelector("input[name=query]");
    if (query) query.value = window.location.search.replace(/^\?/, "");
  });
})();
