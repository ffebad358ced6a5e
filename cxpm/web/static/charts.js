// Draws every [data-chart] element from the page's JSON block with vega-embed. The page's
// Content-Security-Policy forbids eval and inline styles: Vega runs its expression
// interpreter (ast), draws on canvas, and the embed and tooltip styles come from app.css.
(function () {
  "use strict";
  function draw() {
    var block = document.getElementById("chart-data");
    if (!block || typeof vegaEmbed !== "function") { return; }
    var specs = JSON.parse(block.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var spec = specs[el.getAttribute("data-chart")];
      if (!spec) { return; }
      vegaEmbed(el, spec, {
        actions: false, ast: true, renderer: "canvas", defaultStyle: false,
        tooltip: { disableDefaultStyle: true }
      }).then(function () { el.setAttribute("data-drawn", "true"); })
        .catch(function (err) { el.textContent = "Chart could not be drawn: " + err; });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else { draw(); }
})();
