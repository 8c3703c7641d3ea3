// The map works without this script (every dot is a link with a title). With it, the dot under the
// pointer or keyboard focus is named below the map, for people who cannot see or wait for tooltips.
(function () {
  "use strict";
  document.querySelectorAll("figure.map").forEach(function (figure) {
    var out = figure.querySelector(".map-focus");
    if (!out) { return; }
    figure.querySelectorAll("a.dot").forEach(function (dot) {
      var show = function () { out.textContent = dot.getAttribute("aria-label"); };
      dot.addEventListener("focus", show);
      dot.addEventListener("mouseenter", show);
    });
  });
})();
