// The drift widget's view: the verdict, one row per feature (largest PSI first, as the
// kernel sends them) with a small overlaid histogram; a row opens a larger one.

const SVG = "http://www.w3.org/2000/svg";

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text) node.textContent = text;
  return node;
}

function svg(tag, attrs = {}, text = "") {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text) node.textContent = text;
  return node;
}

// numbers arrive as JSON numbers, or as "nan" / "inf" / "-inf" text
function fmt(value, digits = 3) {
  if (value === null || value === undefined || value === "nan") return "–";
  if (value === "inf") return "∞";
  if (value === "-inf") return "−∞";
  return Number(value).toPrecision(digits).replace(/\.?0+(e|$)/, "$1");
}

function percent(value) {
  return typeof value === "number" ? `${Math.round(value * 100)}%` : "–";
}

// what each bin is called: numeric bins between the reference's decile edges (outer
// edges open), categorical bins by level
function binNames(feature) {
  const count = feature.reference.length;
  if (feature.levels.length === count) return feature.levels;
  const edges = feature.edges;
  if (edges.length !== count - 1) return Array.from({ length: count }, (_, i) => `bin ${i + 1}`);
  return Array.from({ length: count }, (_, i) => {
    if (count === 1) return "all values";
    if (i === 0) return `< ${fmt(edges[0])}`;
    if (i === count - 1) return `≥ ${fmt(edges[count - 2])}`;
    return `[${fmt(edges[i - 1])}, ${fmt(edges[i])})`;
  });
}

// reference (grey) and current (orange, translucent) bars drawn over each other, one
// pair per bin; large: with a share axis and the bin edges or levels below
function histogram(feature, large) {
  const ref = feature.reference, cur = feature.current, count = ref.length;
  const width = large ? 560 : 120, height = large ? 200 : 28;
  const left = large ? 44 : 0, right = large ? 12 : 0, top = large ? 10 : 0;
  const bottom = large ? (feature.levels.length ? 56 : 34) : 0;
  const plotW = width - left - right, plotH = height - top - bottom;
  const highest = Math.max(...ref, ...cur, 0) || 1;
  const names = binNames(feature);
  const root = svg("svg", {
    width, height, role: "img", class: large ? "hist large" : "hist",
    "aria-label": `${feature.feature}: reference and current shares over ${count} bins`,
  });
  const step = plotW / Math.max(1, count);
  const y = (share) => top + plotH - (plotH * share) / highest;
  if (large) {
    for (const tick of [0, highest / 2, highest]) {
      root.append(svg("line", { x1: left, x2: width - right, y1: y(tick), y2: y(tick), class: "grid" }));
      root.append(svg("text", { x: left - 4, y: y(tick) + 4, "text-anchor": "end", class: "tick" },
        `${(tick * 100).toFixed(tick < 0.1 && tick > 0 ? 1 : 0)}%`));
    }
  }
  for (let i = 0; i < count; i += 1) {
    const x = left + i * step, inset = large ? 2 : 0.5;
    const group = svg("g", { class: "bin" });
    group.append(svg("title", {}, `${names[i]}: reference ${(ref[i] * 100).toFixed(1)}%, current ${(cur[i] * 100).toFixed(1)}%`));
    group.append(svg("rect", { x: x + inset, y: y(ref[i]), width: Math.max(step - 2 * inset, 1), height: top + plotH - y(ref[i]), class: "reference" }));
    group.append(svg("rect", { x: x + inset + step * 0.2, y: y(cur[i]), width: Math.max(step * 0.6 - 2 * inset, 1), height: top + plotH - y(cur[i]), class: "current" }));
    root.append(group);
  }
  if (!large) return root;
  root.append(svg("line", { x1: left, x2: width - right, y1: top + plotH, y2: top + plotH, class: "axis" }));
  const axis = svg("g", { class: "bin-axis" });
  if (feature.levels.length === count) {
    feature.levels.forEach((level, i) => {
      const x = left + (i + 0.5) * step, y0 = top + plotH + 12;
      const label = level.length > 14 ? `${level.slice(0, 13)}…` : level;
      axis.append(svg("text", { x, y: y0, "text-anchor": "end", transform: `rotate(-30 ${x} ${y0})`, class: "tick level", "data-level": level }, label));
    });
  } else {
    feature.edges.forEach((edge, i) => {
      const x = left + (i + 1) * step;
      axis.append(svg("line", { x1: x, x2: x, y1: top + plotH, y2: top + plotH + 4, class: "axis" }));
      axis.append(svg("text", { x, y: top + plotH + 16, "text-anchor": "middle", class: "tick edge", "data-edge": String(edge) }, fmt(edge)));
    });
  }
  root.append(axis);
  root.append(svg("text", { x: left + plotW / 2, y: height - 4, "text-anchor": "middle", class: "axis-title" },
    feature.levels.length ? "levels" : "reference deciles (bin edges)"));
  return root;
}

function legend() {
  const box = el("span", { class: "legend" });
  for (const [cls, label] of [["reference", "reference"], ["current", "current"]]) {
    box.append(el("span", { class: `swatch ${cls}`, "aria-hidden": "true" }), ` ${label} `);
  }
  return box;
}

function render({ model, el: root }) {
  // the report's static table sits in the output just before the widget, for renderers
  // without widgets (and notebooks reopened without widget state); a live view makes it
  // redundant, so hide it (the view may be attached only after render returns: retry)
  function hideStaticCopy() {
    const area = root.closest(".jp-OutputArea-child, .output_area");
    const previous = area && area.previousElementSibling;
    if (previous && previous.querySelector(".nbtrack-drift")) {
      previous.style.display = "none";
      return true;
    }
    return false;
  }
  if (!hideStaticCopy()) {
    for (const delay of [0, 50, 200, 500, 1500, 4000]) setTimeout(hideStaticCopy, delay);
  }

  const box = el("div", { class: "nbtrack-drift-widget" });
  const verdict = el("p", { class: "verdict", role: "status" });
  const bar = el("div", { class: "bar" });
  const onlyLabel = el("label");
  const only = el("input", { type: "checkbox", class: "drifted-only" });
  onlyLabel.append(only, " drifted only");
  bar.append(onlyLabel, legend());
  const table = el("table");
  const empty = el("p", { class: "empty" });
  box.append(verdict, bar, table, empty);
  root.append(box);

  only.addEventListener("change", () => { model.set("drifted_only", only.checked); model.save_changes(); });

  function toggle(name) {
    model.set("expanded", model.get("expanded") === name ? "" : name);
    model.save_changes();
  }

  function focusRow(name) {
    for (const row of table.querySelectorAll("tr.feature")) {
      if (row.dataset.feature === name) { row.focus(); return; }
    }
  }

  function draw() {
    const hadFocus = box.contains(document.activeElement) && document.activeElement.dataset.feature;
    verdict.textContent = model.get("summary");
    verdict.className = `verdict ${model.get("drift_detected") ? "drifted" : "stable"}`;
    only.checked = model.get("drifted_only");
    const expanded = model.get("expanded");
    const shown = model.get("features").filter((f) => f.drifted || !model.get("drifted_only"));
    const head = el("tr");
    for (const title of ["feature", "severity", "PSI", "p", "test", "missing (ref → cur)", "reference vs current"]) {
      head.append(el("th", { scope: "col" }, title));
    }
    const thead = el("thead");
    thead.append(head);
    const tbody = el("tbody");
    for (const feature of shown) {
      const open = feature.feature === expanded;
      const tr = el("tr", {
        class: `feature${open ? " open" : ""}${feature.drifted ? " drifted" : ""}`, tabindex: "0",
        "data-feature": feature.feature, "aria-expanded": String(open),
        title: "Enter or click: the larger histogram",
      });
      tr.dataset.feature = feature.feature;
      const name = el("td", { class: "name" }, `${open ? "▾" : "▸"} ${feature.feature}`);
      const badgeCell = el("td");
      badgeCell.append(el("span", { class: `badge ${feature.level}` }, feature.badge + (feature.drifted ? " · drifted" : "")));
      const missing = `${percent(feature.missing_reference)} → ${percent(feature.missing_current)}${feature.missingness_shift ? " ⚠" : ""}`;
      const chart = el("td", { class: "chart" });
      if (feature.reference.length) chart.append(histogram(feature, false));
      tr.append(name, badgeCell, el("td", { class: "psi" }, fmt(feature.psi, 4)), el("td", { class: "p" }, fmt(feature.p_value)),
        el("td", {}, feature.test), el("td", {}, missing), chart);
      tr.addEventListener("click", () => toggle(feature.feature));
      tr.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); toggle(feature.feature); }
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          event.preventDefault();
          const rows = [...tbody.querySelectorAll("tr.feature")];
          const next = rows[rows.indexOf(tr) + (event.key === "ArrowDown" ? 1 : -1)];
          if (next) next.focus();
        }
      });
      tbody.append(tr);
      if (open) {
        const detail = el("tr", { class: "detail", "data-detail-of": feature.feature });
        const cell = el("td", { colspan: "7" });
        if (feature.reference.length) {
          cell.append(histogram(feature, true));
          const caption = el("div", { class: "caption" });
          caption.append(legend(), ` · ${feature.type}, ${feature.test} statistic ${fmt(feature.statistic)}, status ${feature.status.replace("_", " ")}`);
          cell.append(caption);
        } else {
          cell.append(el("p", {}, `no histogram: ${feature.badge}`));
        }
        detail.append(cell);
        tbody.append(detail);
      }
    }
    table.replaceChildren(thead, tbody);
    empty.textContent = shown.length ? "" : (model.get("drifted_only") ? "no feature drifted" : "no features");
    if (hadFocus) focusRow(hadFocus);
  }

  for (const name of ["summary", "drift_detected", "features", "drifted_only", "expanded"]) {
    model.on(`change:${name}`, draw);
  }
  draw();
}

export default { render };
