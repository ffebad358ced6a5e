// Draws the journeys page's Sankey diagram from its JSON block (a plotly figure) with the
// plotly.js served at /assets/plotly.js. The page's Content-Security-Policy admits no
// inline script: the figure travels as data, this file draws it.
(function () {
  "use strict";
  function draw() {
    var block = document.getElementById("sankey-data");
    var el = document.getElementById("sankey");
    if (!block || !el || typeof Plotly === "undefined") { return; }
    var figure = JSON.parse(block.textContent);
    Plotly.newPlot(el, figure.data, figure.layout, {
      displayModeBar: false, responsive: true, staticPlot: false
    }).then(function () { el.setAttribute("data-drawn", "true"); })
      .catch(function (err) { el.textContent = "Diagram could not be drawn: " + err; });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else { draw(); }
})();
