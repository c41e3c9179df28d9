// The wall screen's rotation: one panel at a time, the next after data-wall-rotate seconds,
// with a visible "next" and a pause. Without scripts every panel stands one under another.
(function () {
  "use strict";

  // A refresh answered by the login page (the session ended) must not land inside a panel:
  // the whole screen goes to the login page, which returns to the wall.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var url = (event.detail.xhr && event.detail.xhr.responseURL) || "";
    if (url.indexOf("/accounts/login/") === -1) return;
    event.detail.shouldSwap = false;
    window.location.assign("/accounts/login/?next=/wall/");
  });

  // A refresh that gets no answer (the dashboard or the network to it down) would leave the
  // last figures and their age standing as if fresh: the corner says so and the edge turns
  // red, until the corner's next refresh answers and replaces it.
  function unanswered(event) {
    var body = event.detail && event.detail.elt;
    var xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.status === 404 && body && body.classList.contains("wall-panel-body")) {
      gone(body);
      return;
    }
    var corner = document.getElementById("wall-status");
    if (!corner) return;
    corner.classList.add("wall-alarm");
    corner.setAttribute("data-alarm", "on");
    if (!corner.querySelector(".wall-edge")) {
      var edge = document.createElement("div");
      edge.className = "wall-edge";
      edge.setAttribute("aria-hidden", "true");
      corner.prepend(edge);
    }
    var words = corner.querySelector(".wall-unanswered");
    if (!words) {
      words = document.createElement("p");
      words.className = "wall-message wall-unanswered";
      words.setAttribute("role", "alert");
      corner.querySelector(".wall-edge").after(words);
    }
    words.textContent = "The dashboard did not answer the last refresh: what is shown may be old.";
  }
  // A panel no longer offered (its saved view deleted, or no longer shared with this
  // account): it says so and stops asking, rather than keep its last counts as if live.
  function gone(body) {
    var words = document.createElement("p");
    words.className = "wall-notice wall-gone";
    words.setAttribute("role", "status");
    words.textContent = "This panel is no longer available (its saved view was deleted or " +
      "is no longer shared with you): choose the wall's panels again.";
    var replaced = document.createElement("div");
    replaced.className = "wall-panel-body";
    replaced.appendChild(words);
    body.replaceWith(replaced);
  }
  // A panel with more items than the screen holds is cut at its edge (the wall never
  // scrolls): an item the edge would cut in half is not drawn at all, the corner says how
  // many are not shown, and a headline's "the 12 most recent below" counts only those drawn.
  function sayCut() {
    var note = document.querySelector("[data-wall-cut]");
    var main = document.querySelector(".wall-main");
    if (!note || !main) return;
    // The note's own lines can raise the screen's edge: measure again until it stays put.
    for (var tries = 0; tries < 3; tries += 1) {
      var edge = main.getBoundingClientRect().bottom;
      var words = [];
      document.querySelectorAll(".wall-panel:not([hidden]) [data-wall-items]").forEach(function (list) {
        var items = Array.prototype.slice.call(list.children);
        var cut = items.filter(function (item) {
          var below = item.getBoundingClientRect().bottom > edge + 1;
          // Hidden, not removed: it keeps its place, so the next measure sees the same layout.
          item.classList.toggle("wall-off-screen", below);
          return below;
        });
        if (cut.length) {
          words.push(cut.length + " of " + items.length + " " + list.getAttribute("data-wall-items") +
            " below the screen's edge, not shown");
        }
        countShown(list.closest(".wall-panel"), items.length - cut.length);
      });
      note.textContent = words.join("; ");
      note.hidden = words.length === 0;
      if (main.getBoundingClientRect().bottom === edge) break;
    }
  }
  // The headline's "the N most recent below, M more not shown", for the N rows drawn.
  function countShown(panel, shown) {
    var said = panel && panel.querySelector("[data-wall-shown-of]");
    if (!said) return;
    var notShown = Math.max(0, parseInt(said.getAttribute("data-wall-shown-of"), 10) - shown);
    said.querySelector("[data-wall-shown]").textContent = shown;
    said.querySelector("[data-wall-not-shown]").textContent = notShown;
    said.hidden = notShown === 0;
  }
  document.addEventListener("htmx:afterSettle", sayCut);
  window.addEventListener("resize", sayCut);

  document.addEventListener("htmx:sendError", unanswered);
  document.addEventListener("htmx:responseError", unanswered);

  document.addEventListener("DOMContentLoaded", function () {
    var wall = document.querySelector("[data-wall-rotate]");
    if (!wall) return;
    var panels = Array.prototype.slice.call(wall.querySelectorAll(".wall-panel"));
    var seconds = Math.max(1, parseInt(wall.getAttribute("data-wall-rotate"), 10) || 30);
    var label = document.querySelector("[data-wall-rotation]");
    var pause = document.querySelector("[data-wall-pause]");
    var next = document.querySelector("[data-wall-next]");
    var index = 0;
    var left = seconds;
    var paused = false;

    function title(n) { return panels[n].getAttribute("data-title"); }

    function draw() {
      panels.forEach(function (panel, n) { panel.hidden = n !== index; });
      sayCut();
      if (!label) return;
      // Non-breaking spaces: "in 29 s" never leaves its "s" alone on the next line.
      var where = "Panel\u00a0" + (index + 1) + "\u00a0of\u00a0" + panels.length;
      if (panels.length < 2) label.textContent = where;
      else if (paused) label.textContent = where + " · paused";
      else label.textContent = where + " · next: " + title((index + 1) % panels.length) +
        " in\u00a0" + left + "\u00a0s";
    }

    function advance() {
      index = (index + 1) % panels.length;
      left = seconds;
      draw();
    }

    if (panels.length < 2) {
      if (pause) pause.hidden = true;
      if (next) next.hidden = true;
    }
    if (pause) pause.addEventListener("click", function () {
      paused = !paused;
      pause.setAttribute("aria-pressed", paused ? "true" : "false");
      pause.textContent = paused ? "Resume" : "Pause";
      draw();
    });
    if (next) next.addEventListener("click", advance);
    // One tick a second: the countdown shown is the rotation's own.
    setInterval(function () {
      if (paused || panels.length < 2) return;
      left -= 1;
      if (left <= 0) advance(); else draw();
    }, 1000);
    draw();
  });
})();
