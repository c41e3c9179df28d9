// The maintenance window form: only the fields of the choices made are shown. Without this
// script every field shows, each saying when it applies.
(function () {
  "use strict";

  function chosen(form, name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    return checked ? checked.value : "";
  }

  // data-show-when="covers:devices" or "recurrence:daily weekly"
  function update(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (part) {
      var rule = part.getAttribute("data-show-when").split(":");
      var wanted = rule[1].split(" ");
      part.hidden = wanted.indexOf(chosen(form, rule[0])) < 0;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.window-form");
    if (!form) return;
    form.addEventListener("change", function () { update(form); });
    update(form);
  });
})();
