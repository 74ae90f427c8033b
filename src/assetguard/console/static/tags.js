// Tags page: "select all" toggles every resource checkbox (CSP forbids inline handlers).
document.addEventListener("DOMContentLoaded", function () {
  var all = document.getElementById("select-all");
  if (!all) { return; }
  all.addEventListener("change", function () {
    document.querySelectorAll("input[name=arn]").forEach(function (box) { box.checked = all.checked; });
  });
});
