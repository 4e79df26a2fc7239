// The network graph of a person (templates/people/network.html): the data is the page's JSON
// (#network-data, written with json_script), drawn with the vendored cytoscape.js. The tables on the page
// hold the same people and links; the graph is an aid. Clicking a person opens their page.
(function () {
  "use strict";

  var CYTOSCAPE_STYLESHEET = "__________cytoscape_stylesheet";
  var KIND_COLOURS = {
    travelled_together: "#2b6cb0",
    suspect_with_victim: "#c53030",
    recruited_by: "#b7791f",
    co_accused: "#6b46c1",
    manual: "#4a5568"
  };

  function draw() {
    var box = document.getElementById("network-graph");
    var source = document.getElementById("network-data");
    if (!box || !source || typeof window.cytoscape !== "function") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var elements = [];
    data.nodes.forEach(function (n) {
      elements.push({
        group: "nodes",
        data: { id: "p" + n.id, label: n.label, url: n.url, hops: n.hops, root: n.id === data.root ? 1 : 0 }
      });
    });
    data.edges.forEach(function (e, i) {
      elements.push({
        group: "edges",
        data: {
          id: "e" + i,
          source: "p" + e.source,
          target: "p" + e.target,
          label: e.label,
          colour: KIND_COLOURS[e.kind] || "#4a5568"
        }
      });
    });
    box.classList.add("network-graph-drawn");
    // cytoscape adds an inline <style> (refused by the CSP) unless an element with this id exists: its one
    // rule (the container's position: relative) is in app.css instead.
    if (!document.getElementById(CYTOSCAPE_STYLESHEET)) {
      var marker = document.createElement("meta");
      marker.id = CYTOSCAPE_STYLESHEET;
      document.head.appendChild(marker);
    }
    var cy = window.cytoscape({
      container: box,
      elements: elements,
      wheelSensitivity: 0.3,
      style: [
        {
          selector: "node",
          style: {
            label: "data(label)",
            "background-color": "#718096",
            "font-size": 11,
            "text-valign": "bottom",
            "text-margin-y": 4,
            width: 22,
            height: 22
          }
        },
        { selector: "node[root = 1]", style: { "background-color": "#2f855a", width: 30, height: 30 } },
        {
          selector: "edge",
          style: {
            width: 2,
            "line-color": "data(colour)",
            "curve-style": "bezier",
            label: "data(label)",
            "font-size": 9,
            "text-rotation": "autorotate",
            color: "#4a5568"
          }
        }
      ],
      layout: { name: "breadthfirst", roots: "#p" + data.root, spacingFactor: 1.2, padding: 20 }
    });
    cy.on("tap", "node", function (event) {
      var url = event.target.data("url");
      if (url) {
        window.location.assign(url);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
