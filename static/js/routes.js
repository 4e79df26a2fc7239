// The routes' flow diagram (templates/interception/routes.html): home district -> border station ->
// destination, drawn as SVG with DOM calls from the page's JSON (#routes-data, json_script) and the vendored
// d3-sankey. Only exact counts are drawn (a "<11" cell has no width to draw); the table is the full truth.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var COLOURS = ["#2b6cb0", "#2f855a", "#b7791f", "#c53030", "#6b46c1", "#2c7a7b", "#97266d", "#4a5568"];

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) {
      node.setAttribute(k, attrs[k]);
    });
    if (parent) {
      parent.appendChild(node);
    }
    return node;
  }

  function graphOf(rows) {
    var index = {};
    var nodes = [];
    var links = {};
    function node(layer, name) {
      var id = layer + ":" + name;
      if (!(id in index)) {
        index[id] = nodes.length;
        nodes.push({ id: id, name: name, layer: layer });
      }
      return index[id];
    }
    function add(a, b, value) {
      var key = a + ">" + b;
      links[key] = links[key] || { source: a, target: b, value: 0 };
      links[key].value += value;
    }
    rows.forEach(function (r) {
      if (r.count === null || r.count === undefined) {
        return;
      }
      var s = node(0, r.source);
      var st = node(1, r.station_name || r.station);
      var d = node(2, r.destination);
      add(s, st, r.count);
      add(st, d, r.count);
    });
    return { nodes: nodes, links: Object.keys(links).map(function (k) { return links[k]; }) };
  }

  function draw() {
    var box = document.getElementById("routes-chart");
    var source = document.getElementById("routes-data");
    if (!box || !source || !window.d3 || typeof window.d3.sankey !== "function") {
      return;
    }
    var graph = graphOf(JSON.parse(source.textContent).rows);
    if (!graph.links.length) {
      box.classList.add("routes-chart-empty");
      return;
    }
    var width = Math.max(box.clientWidth || 0, 320);
    var height = Math.max(240, Math.min(800, graph.nodes.length * 28));
    var layout = window.d3
      .sankey()
      .nodeWidth(14)
      .nodePadding(10)
      .extent([[1, 5], [width - 1, height - 5]]);
    var g = layout({
      nodes: graph.nodes.map(function (n) { return Object.assign({}, n); }),
      links: graph.links.map(function (l) { return Object.assign({}, l); })
    });
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, width: "100%", height: height, class: "sankey" });
    var linkPath = window.d3.sankeyLinkHorizontal();
    var links = el("g", { fill: "none", "stroke-opacity": "0.35" }, svg);
    g.links.forEach(function (l) {
      var path = el(
        "path",
        { d: linkPath(l), stroke: COLOURS[l.source.index % COLOURS.length], "stroke-width": Math.max(1, l.width) },
        links
      );
      el("title", {}, path).textContent = l.source.name + " → " + l.target.name + ": " + l.value;
    });
    var nodes = el("g", {}, svg);
    g.nodes.forEach(function (n) {
      var rect = el(
        "rect",
        { x: n.x0, y: n.y0, width: n.x1 - n.x0, height: Math.max(1, n.y1 - n.y0), fill: COLOURS[n.index % COLOURS.length] },
        nodes
      );
      el("title", {}, rect).textContent = n.name + ": " + n.value;
      var left = n.x0 < width / 2;
      var label = el(
        "text",
        {
          x: left ? n.x1 + 6 : n.x0 - 6,
          y: (n.y0 + n.y1) / 2,
          dy: "0.35em",
          "text-anchor": left ? "start" : "end",
          "font-size": "11"
        },
        nodes
      );
      label.textContent = n.name;
    });
    box.textContent = "";
    box.appendChild(svg);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
