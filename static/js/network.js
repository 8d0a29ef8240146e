// The network map: groups as nodes sized by members, relations as edges coloured by kind.
// Loaded with defer after vendor/cytoscape.min.js; no inline script or style (the CSP forbids both).
(() => {
  "use strict";

  const CIRCLE_LAYOUT_MAX_NODES = 20;
  const COLOURS = { conflict: "#c0392b", alliance: "#1e8449", rivalry: "#d68910" };

  // Cytoscape adds a <style> element to <head> unless one with this id exists; the CSP would block it.
  // Its one rule (the container is position: relative) is in app.css, so mark it as present.
  function markStylesheetPresent() {
    const id = "__________cytoscape_stylesheet";
    if (!document.getElementById(id)) {
      const marker = document.createElement("meta");
      marker.id = id;
      marker.name = "cytoscape-stylesheet";
      marker.content = "static/css/app.css";
      document.head.appendChild(marker);
    }
  }

  function showStatus(text) {
    const status = document.getElementById("network-status");
    if (status) status.textContent = text;
  }

  function elements(data) {
    const nodes = data.nodes.map((node) => ({
      group: "nodes",
      data: {
        id: `g${node.id}`,
        groupId: node.id,
        label: `${node.name} (${node.members})`,
        members: node.members,
        status: node.status,
        size: 24 + 12 * Math.sqrt(Math.max(0, node.members)),
      },
    }));
    const known = new Set(data.nodes.map((node) => node.id));
    const edges = data.edges
      .filter((edge) => known.has(edge.source) && known.has(edge.target))
      .map((edge) => ({
        group: "edges",
        data: {
          id: `r${edge.id}`,
          source: `g${edge.source}`,
          target: `g${edge.target}`,
          kind: edge.kind,
          width: 1.5 + 1.5 * Number(edge.intensity || 1),
        },
      }));
    return nodes.concat(edges);
  }

  function draw(container, data) {
    markStylesheetPresent();
    const groupBase = container.dataset.groupBase;
    const cy = window.cytoscape({
      container,
      elements: elements(data),
      wheelSensitivity: 0.3,
      style: [
        {
          selector: "node",
          style: {
            "background-color": "#34495e",
            width: "data(size)",
            height: "data(size)",
            label: "data(label)",
            "font-size": 14,
            "text-valign": "bottom",
            "text-margin-y": 4,
            color: "#212529",
          },
        },
        { selector: 'node[status = "dormant"]', style: { "background-color": "#7f8c8d" } },
        { selector: 'node[status = "dissolved"]', style: { "background-color": "#bdc3c7" } },
        {
          selector: "edge",
          style: { width: "data(width)", "curve-style": "bezier", "line-color": "#6c757d" },
        },
        { selector: 'edge[kind = "conflict"]', style: { "line-color": COLOURS.conflict } },
        { selector: 'edge[kind = "alliance"]', style: { "line-color": COLOURS.alliance } },
        { selector: 'edge[kind = "rivalry"]', style: { "line-color": COLOURS.rivalry, "line-style": "dashed" } },
        { selector: "node:selected", style: { "border-width": 3, "border-color": "#0d6efd" } },
      ],
      // A program's map is small: a circle keeps every group apart and readable; a large
      // (regional) map needs the force-directed layout.
      layout:
        data.nodes.length <= CIRCLE_LAYOUT_MAX_NODES
          ? { name: "circle", animate: false, padding: 60 }
          : { name: "cose", animate: false, padding: 30, nodeRepulsion: () => 400000 },
      maxZoom: 2.5,
    });
    cy.on("tap", "node", (event) => {
      window.location.assign(`${groupBase}${event.target.data("groupId")}/`);
    });
    cy.on("mouseover", "node", () => container.classList.add("network-pointer"));
    cy.on("mouseout", "node", () => container.classList.remove("network-pointer"));
  }

  document.addEventListener("DOMContentLoaded", () => {
    const container = document.getElementById("network");
    if (!container) return;
    const url = container.dataset.url || "";
    if (typeof window.cytoscape !== "function" || url.startsWith("?")) {
      showStatus(container.dataset.errorText);
      container.hidden = true;
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => {
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return response.json();
      })
      .then((data) => {
        if (!data.nodes || data.nodes.length === 0) {
          showStatus(container.dataset.emptyText);
          container.hidden = true;
          return;
        }
        draw(container, data);
      })
      .catch(() => {
        showStatus(container.dataset.errorText);
        container.hidden = true;
      });
  });
})();
