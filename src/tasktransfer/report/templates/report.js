// Draws the page's figures and drives the transfer graphs' controls. Inlined into
// report.html after plotly.js; reads only the JSON blocks the page embeds.
(function () {
  "use strict";
  var POSITIVE = "#2166ac", NEGATIVE = "#b2182b", SELECTED = "#ffd84d", NODE = "#f2f2f2";
  var CONFIG = {
    displaylogo: false,
    responsive: true,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
  };

  function readJSON(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  var figures = readJSON("tt-figures");
  Object.keys(figures).forEach(function (id) {
    Plotly.newPlot(id, figures[id].data, figures[id].layout, CONFIG);
  });
  var graphs = readJSON("tt-graphs");
  Object.keys(graphs).forEach(function (id) {
    setupGraph(id, graphs[id]);
  });

  // One transfer graph: edges with |mean PGF| >= the slider's threshold and of the chosen
  // sign are drawn as arrows; clicking a task keeps only its edges in full colour.
  function setupGraph(id, graph) {
    var div = document.getElementById(id);
    var slider = document.getElementById(id + "-threshold");
    var value = document.getElementById(id + "-threshold-value");
    var count = document.getElementById(id + "-count");
    var info = document.getElementById(id + "-selected");
    var radios = document.querySelectorAll("input[name='" + id + "-sign']");
    var selected = null;

    function sign() {
      for (var k = 0; k < radios.length; k++) {
        if (radios[k].checked) return radios[k].value;
      }
      return "all";
    }

    function shown(edge, threshold, which) {
      if (Math.abs(edge.pgf) < threshold) return false;
      if (which === "positive") return edge.pgf > 0;
      if (which === "negative") return edge.pgf < 0;
      return true;
    }

    function describe(edges) {
      if (selected === null) {
        info.textContent = "Click a task to highlight its edges.";
        return;
      }
      var name = graph.tasks[selected];
      function list(items) {
        return items.length ? items.join(", ") : "none";
      }
      var out = edges.filter(function (e) { return e.i === selected; }).map(function (e) {
        return graph.tasks[e.j] + " (" + e.pgf.toFixed(2) + ")";
      });
      var into = edges.filter(function (e) { return e.j === selected; }).map(function (e) {
        return graph.tasks[e.i] + " (" + e.pgf.toFixed(2) + ")";
      });
      info.textContent = name + ": finetuning on it moves " + list(out) +
        "; finetuning on these moves it: " + list(into) + ". Click it again to clear.";
    }

    function redraw() {
      var threshold = parseFloat(slider.value);
      var which = sign();
      var edges = graph.edges.filter(function (e) { return shown(e, threshold, which); });
      var annotations = edges.map(function (e) {
        var touches = selected === null || e.i === selected || e.j === selected;
        return {
          x: e.x1, y: e.y1, ax: e.x0, ay: e.y0,
          xref: "x", yref: "y", axref: "x", ayref: "y",
          text: "", showarrow: true, arrowhead: 2, arrowsize: 1,
          arrowwidth: 0.6 + 2.4 * Math.min(Math.abs(e.pgf), 1),
          arrowcolor: e.pgf > 0 ? POSITIVE : NEGATIVE,
          opacity: touches ? 0.85 : 0.07,
        };
      });
      Plotly.update(div, {
        x: [edges.map(function (e) { return e.mx; })],
        y: [edges.map(function (e) { return e.my; })],
        hovertext: [edges.map(function (e) { return e.hover; })],
      }, { annotations: annotations }, [0]);
      Plotly.restyle(div, {
        "marker.color": [graph.tasks.map(function (_, k) {
          return k === selected ? SELECTED : NODE;
        })],
      }, [1]);
      var positive = edges.filter(function (e) { return e.pgf > 0; }).length;
      value.textContent = threshold.toFixed(2);
      count.textContent = edges.length + " edge" + (edges.length === 1 ? "" : "s") +
        " shown (" + positive + " positive, " + (edges.length - positive) + " negative)";
      div.setAttribute("data-visible-edges", String(edges.length));
      describe(edges);
    }

    slider.addEventListener("input", redraw);
    for (var k = 0; k < radios.length; k++) radios[k].addEventListener("change", redraw);
    div.on("plotly_click", function (event) {
      var point = event.points[0];
      if (point.curveNumber !== 1) return;
      selected = selected === point.pointNumber ? null : point.pointNumber;
      redraw();
    });
    redraw();
  }
})();
