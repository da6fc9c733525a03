// Checks the size of the chosen attachments against the server's upload
// limit (rendered into the form as data-max-upload) before anything is
// uploaded. The server checks again; this only saves a long, useless upload.
"use strict";
(function () {
  var form = document.querySelector("form[data-max-upload]");
  if (!form) {
    return;
  }
  var limit = Number(form.getAttribute("data-max-upload"));
  var input = document.getElementById("attachments");
  var shown = document.getElementById("attachments-error");
  var units = ["bytes", "KiB", "MiB", "GiB"];

  function human(bytes) {
    var value = bytes;
    var unit = 0;
    while (value >= 1024 && unit + 1 < units.length) {
      value /= 1024;
      unit += 1;
    }
    if (unit === 0) {
      return bytes + " bytes";
    }
    return (value % 1 === 0 ? value.toFixed(0) : value.toFixed(1)) + " " + units[unit];
  }

  // The text fields travel in the same request, so they count too.
  function textBytes() {
    var total = 0;
    var encoder = new TextEncoder();
    var fields = form.querySelectorAll("input[type=text], input[type=password], textarea");
    for (var i = 0; i < fields.length; i += 1) {
      total += encoder.encode(fields[i].value).length;
    }
    return total;
  }

  function check() {
    var files = 0;
    for (var i = 0; i < input.files.length; i += 1) {
      files += input.files[i].size;
    }
    var message = "";
    if (files + textBytes() > limit) {
      message = "The attachments are " + human(files) + " in total, over the limit of " +
        human(limit) + ": choose smaller files.";
    }
    input.setCustomValidity(message);
    shown.textContent = message;
    shown.hidden = message === "";
    return message === "";
  }

  input.addEventListener("change", check);
  form.addEventListener("submit", function (event) {
    if (!check()) {
      event.preventDefault();
      input.reportValidity();
    }
  });
})();
