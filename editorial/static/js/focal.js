// The focal point on a photo's page: a click on the photo fills the two percent fields and
// moves the marker; typing in the fields moves it too. Without JavaScript the fields work alone.
(function () {
  "use strict";

  var form = document.querySelector("[data-focal-form]");
  if (!form) {
    return;
  }
  var image = form.querySelector("[data-focal-image]");
  var marker = form.querySelector("[data-focal-marker]");
  var fieldX = form.querySelector("#focal_x");
  var fieldY = form.querySelector("#focal_y");
  var hint = form.querySelector("[data-focal-hint]");
  if (!image || !marker || !fieldX || !fieldY) {
    return;
  }

  function number(field) {
    var value = parseFloat(field.value.replace(",", ".").replace("%", ""));
    return isFinite(value) && value >= 0 && value <= 100 ? value : null;
  }

  function place() {
    var x = number(fieldX);
    var y = number(fieldY);
    if (x === null || y === null) {
      marker.hidden = true;
      return;
    }
    marker.style.left = x + "%";
    marker.style.top = y + "%";
    marker.hidden = false;
  }

  function clamp(value) {
    return Math.min(100, Math.max(0, value));
  }

  image.addEventListener("click", function (event) {
    var box = image.getBoundingClientRect();
    if (!box.width || !box.height) {
      return;
    }
    fieldX.value = clamp(((event.clientX - box.left) / box.width) * 100).toFixed(1);
    fieldY.value = clamp(((event.clientY - box.top) / box.height) * 100).toFixed(1);
    place();
  });
  fieldX.addEventListener("input", place);
  fieldY.addEventListener("input", place);
  image.classList.add("focal-clickable");
  if (hint) {
    hint.hidden = false;
  }
  place();
})();
