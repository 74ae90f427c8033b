// Dashboards reload themselves: <main data-autorefresh="15"> reloads every 15 s unless the
// user is typing in a form field. CSP forbids inline scripts, hence this file.
document.addEventListener("DOMContentLoaded", function () {
  var holder = document.querySelector("[data-autorefresh]");
  if (!holder) { return; }
  var seconds = parseInt(holder.getAttribute("data-autorefresh"), 10) || 15;
  setInterval(function () {
    var active = document.activeElement;
    if (active && (active.tagName === "INPUT" || active.tagName === "TEXTAREA" || active.tagName === "SELECT")) { return; }
    window.location.reload();
  }, seconds * 1000);
});
