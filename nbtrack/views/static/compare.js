// The compare widget's view: renders the synced page of runs; every query runs in the kernel.

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text) node.textContent = text;
  return node;
}

function render({ model, el: root }) {
  // a static copy of this comparison sits in the output just before the widget, for
  // renderers without widgets; a live view makes it redundant, so hide it
  // (the view may be attached to the page only after render returns: try a few times)
  function hideStaticCopy() {
    const area = root.closest(".jp-OutputArea-child, .output_area");
    const previous = area && area.previousElementSibling;
    if (previous && previous.querySelector(".nbtrack-static")) {
      previous.style.display = "none";
      return true;
    }
    return false;
  }
  if (!hideStaticCopy()) {
    for (const delay of [0, 50, 200, 500, 1500, 4000]) setTimeout(hideStaticCopy, delay);
  }

  const box = el("div", { class: "nbtrack-cmp" });
  const bar = el("div", { class: "bar" });
  const filter = el("input", { class: "filter", placeholder: "filter, e.g. metrics.acc > 0.9 and params.model = 'rf'" });
  filter.value = model.get("filter");
  const diffs = el("label");
  const diffBox = el("input", { type: "checkbox" });
  diffs.append(diffBox, " only differences");
  const pager = el("span", { class: "pager" });
  const prev = el("button", {}, "‹");
  const next = el("button", {}, "›");
  const count = el("span");
  pager.append(prev, count, next);
  bar.append(filter, diffs, pager);
  const error = el("div", { class: "error" });
  const table = el("table");
  const chartBar = el("div", { class: "bar" });
  const metric = el("select", { class: "metric" });
  const kind = el("select", { class: "kind" });
  for (const [value, label] of [["auto", "history / bars"], ["scatter", "scatter"], ["parallel", "parallel coordinates"], ["confusion", "confusion matrix"]]) {
    kind.append(el("option", { value }, label));
  }
  const xParam = el("select", { class: "x" });
  chartBar.append("chart ", kind, " of ", metric, " x: ", xParam);
  const chart = el("div", { class: "chart" });
  box.append(bar, error, table, chartBar, chart);
  root.append(box);

  filter.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { model.set("filter", filter.value); model.save_changes(); }
  });
  diffBox.addEventListener("change", () => { model.set("only_differences", diffBox.checked); model.save_changes(); });
  prev.addEventListener("click", () => { model.set("page", Math.max(0, model.get("page") - 1)); model.save_changes(); });
  next.addEventListener("click", () => {
    const last = Math.max(0, Math.ceil(model.get("total") / model.get("page_size")) - 1);
    model.set("page", Math.min(last, model.get("page") + 1)); model.save_changes();
  });
  metric.addEventListener("change", () => { model.set("chart_metric", metric.value); model.save_changes(); });
  kind.addEventListener("change", () => { model.set("chart_kind", kind.value); model.save_changes(); });
  xParam.addEventListener("change", () => { model.set("chart_x", xParam.value); model.save_changes(); });

  function sortBy(column) {
    const [current, direction] = model.get("sort").split(" ");
    const descending = current === column && direction !== "DESC";
    model.set("sort", `${column} ${descending ? "DESC" : "ASC"}`);
    model.save_changes();
  }

  function toggle(runId) {
    const selected = new Set(model.get("selected"));
    if (selected.has(runId)) selected.delete(runId); else selected.add(runId);
    model.set("selected", [...selected]);
    model.save_changes();
  }

  function draw() {
    const columns = model.get("columns");
    const differing = new Set(model.get("differing").map((k) => `params.${k}`));
    const selected = new Set(model.get("selected"));
    const [sorted, direction] = model.get("sort").split(" ");
    table.replaceChildren();
    const head = el("tr");
    for (const column of columns) {
      const arrow = column === sorted ? (direction === "DESC" ? " ▼" : " ▲") : "";
      const th = el("th", { "data-column": column, class: differing.has(column) ? "differs" : "" }, column + arrow);
      th.addEventListener("click", () => sortBy(column));
      head.append(th);
    }
    const thead = el("thead");
    thead.append(head);
    const tbody = el("tbody");
    for (const row of model.get("rows")) {
      const tr = el("tr", { "data-run-id": row.run_id, class: selected.has(row.run_id) ? "selected" : "" });
      for (const column of columns) {
        tr.append(el("td", { class: differing.has(column) ? "differs" : "" }, String(row[column] ?? "")));
      }
      tr.addEventListener("click", () => toggle(row.run_id));
      tbody.append(tr);
    }
    table.append(thead, tbody);
    const page = model.get("page"), size = model.get("page_size"), total = model.get("total");
    count.textContent = total ? ` ${page * size + 1}–${Math.min(total, (page + 1) * size)} of ${total} ` : " no runs ";
    error.textContent = model.get("error");
    diffBox.checked = model.get("only_differences");
    metric.replaceChildren(...model.get("metrics").map((key) => el("option", { value: key }, key)));
    metric.value = model.get("chart_metric");
    kind.value = model.get("chart_kind");
    xParam.replaceChildren(...model.get("numeric_params").map((key) => el("option", { value: key }, key)));
    xParam.value = model.get("chart_x") || model.get("numeric_params")[0] || "";
    xParam.style.display = model.get("chart_kind") === "scatter" ? "" : "none";
  }

  function drawChart() {
    const png = model.get("chart_png");
    chart.replaceChildren();
    if (png) chart.append(el("img", { src: `data:image/png;base64,${png}`, alt: "chart of the selected runs" }));
  }

  for (const name of ["rows", "columns", "differing", "selected", "sort", "total", "page", "error", "metrics", "chart_metric", "only_differences", "chart_kind", "chart_x", "numeric_params"]) {
    model.on(`change:${name}`, draw);
  }
  model.on("change:chart_png", drawChart);
  draw();
  drawChart();
}

export default { render };
