/* The indicator form shows only the fields of the chosen kind (and, for a quantitative
 * indicator, of the chosen method). Without this script every group shows, each under
 * a heading naming the kinds that use it; the server reads only the chosen kind's.
 */
(function () {
  "use strict";
  var form = document.querySelector("form[data-indicator-form]");
  if (!form) {
    return;
  }
  var kind = form.querySelector("select[name=kind]");
  var method = form.querySelector("select[name=method]");
  var known = (form.getAttribute("data-known-methods") || "").split(" ");

  function listed(element, attribute, value) {
    return (element.getAttribute(attribute) || "").split(" ").indexOf(value) >= 0;
  }

  function update() {
    var groups = form.querySelectorAll("[data-kinds]");
    for (var i = 0; i < groups.length; i += 1) {
      groups[i].hidden = !listed(groups[i], "data-kinds", kind.value);
    }
    var parts = form.querySelectorAll("[data-methods]");
    for (var j = 0; j < parts.length; j += 1) {
      /* a method this page does not know about shows every field */
      var chosen = method ? method.value : "";
      parts[j].hidden = known.indexOf(chosen) >= 0 && !listed(parts[j], "data-methods", chosen);
    }
  }

  if (kind) {
    kind.addEventListener("change", update);
  }
  if (method) {
    method.addEventListener("change", update);
  }
  update();
})();
