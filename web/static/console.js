// The console works without this script; it adds keyboard shortcuts to the moderation queue,
// confirmations before destructive buttons, reading a CSV file into the import form, and
// copying a snippet. No inline script anywhere: the page's CSP forbids it.
"use strict";

(function () {
  // Confirm before revoking, deactivating, closing.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = button && button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Secrets and snippets: select all on focus, so they copy in one go.
  document.querySelectorAll("[data-select]").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });

  // "Copy the snippet" (shown only where the clipboard can be written).
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.value).then(function () {
        button.textContent = "Copied";
      });
    });
  });

  // The import: a CSV file may be chosen instead of pasted.
  document.querySelectorAll("input[type=file][data-fills]").forEach(function (input) {
    var target = document.getElementById(input.getAttribute("data-fills"));
    if (!target || !window.FileReader) { return; }
    input.hidden = false;
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) { return; }
      var reader = new FileReader();
      reader.onload = function () { target.value = String(reader.result); };
      reader.readAsText(file);
    });
  });

  // The moderation queue: j / k move between items, a approves the item in focus, r goes to
  // its reason. Keys typed into a field are left alone.
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-item]"));
  if (items.length === 0) { return; }
  function current() {
    var active = document.activeElement;
    for (var i = 0; i < items.length; i++) {
      if (items[i] === active || items[i].contains(active)) { return i; }
    }
    return -1;
  }
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") { return; }
    var at = current();
    if (event.key === "j" || event.key === "k") {
      var next = event.key === "j" ? Math.min(at + 1, items.length - 1) : Math.max(at - 1, 0);
      items[next].focus();
      items[next].scrollIntoView({ block: "nearest" });
      event.preventDefault();
    } else if (event.key === "a" && at >= 0) {
      var approve = items[at].querySelector("[data-approve]");
      if (approve) { approve.form.requestSubmit(approve); event.preventDefault(); }
    } else if (event.key === "r" && at >= 0) {
      var reason = items[at].querySelector("[data-reason]");
      if (reason) { reason.focus(); event.preventDefault(); }
    }
  });
})();
