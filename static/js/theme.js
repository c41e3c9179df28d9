// Apply the theme chosen with the toggle (remembered in localStorage) before first paint.
// Without a choice, the CSS follows prefers-color-scheme.
(function () {
  try {
    var theme = localStorage.getItem("theme");
    if (theme === "light" || theme === "dark") {
      document.documentElement.setAttribute("data-theme", theme);
    }
  } catch (e) {
    // Storage can be disabled; the system preference still applies.
  }
})();
