/* One chart of the dashboard: a titled figure with a Chart.js canvas (units on the axes) and
   the same numbers as a table, for screen readers and for anyone who wants the figures. */
const PALETTE = ["#1f5fa8", "#c0392b", "#2e7d32", "#b26a00", "#6a1b9a", "#00838f", "#5d4037"];
const charts = new Map();

function cell(tag, text, attrs) {
  const el = document.createElement(tag);
  el.textContent = text;
  for (const [name, value] of Object.entries(attrs || {})) el.setAttribute(name, value);
  return el;
}

/** The figure for ``id`` inside ``container``, made once: heading, canvas, note, table. */
function figure(container, id) {
  let box = document.getElementById(`figure-${id}`);
  if (box) return box;
  box = document.createElement("figure");
  box.id = `figure-${id}`;
  box.className = "chart";
  const caption = document.createElement("figcaption");
  caption.appendChild(cell("h3", "", { id: `title-${id}` }));
  box.appendChild(caption);
  const holder = document.createElement("div");
  holder.className = "canvas-holder";
  const canvas = cell("canvas", "", { id: `chart-${id}`, role: "img" });
  holder.appendChild(canvas);
  box.appendChild(holder);
  box.appendChild(cell("p", "", { class: "note", id: `note-${id}` }));
  const details = document.createElement("details");
  details.appendChild(cell("summary", ""));
  const wrap = document.createElement("div");
  wrap.className = "table-wrap";
  wrap.appendChild(document.createElement("table"));
  details.appendChild(wrap);
  box.appendChild(details);
  container.appendChild(box);
  return box;
}

function table(box, title, columns, rows) {
  const tableEl = box.querySelector("table");
  tableEl.replaceChildren();
  tableEl.appendChild(cell("caption", title));
  const head = document.createElement("thead");
  const headRow = document.createElement("tr");
  for (const column of columns) headRow.appendChild(cell("th", column, { scope: "col" }));
  head.appendChild(headRow);
  tableEl.appendChild(head);
  const body = document.createElement("tbody");
  for (const row of rows) {
    const tr = document.createElement("tr");
    row.forEach((value, index) =>
      tr.appendChild(index === 0 ? cell("th", value, { scope: "row" }) : cell("td", value)),
    );
    body.appendChild(tr);
  }
  tableEl.appendChild(body);
}

/**
 * Draw (or redraw) one chart.
 * spec: {id, title, type, labels, datasets: [{label, data}], xUnit, yUnit, stacked,
 *        horizontal, columns, rows, note, unavailable}
 */
export function render(container, spec, t) {
  const box = figure(container, spec.id);
  box.querySelector(`#title-${spec.id}`).textContent = spec.title;
  box.querySelector("summary").textContent = `${t("data_table")}: ${spec.title}`;
  const note = box.querySelector(`#note-${spec.id}`);
  const canvas = box.querySelector("canvas");
  const previous = charts.get(spec.id);
  if (previous) previous.destroy();
  charts.delete(spec.id);
  box.classList.toggle("unavailable", Boolean(spec.unavailable));
  box.classList.toggle("empty", !spec.unavailable && !spec.labels.length);
  if (spec.unavailable || !spec.labels.length) {
    note.textContent = spec.unavailable || t("no_data");
    canvas.hidden = true;
    canvas.setAttribute("aria-label", `${spec.title}: ${note.textContent}`);
    table(box, spec.title, spec.columns, []);
    return;
  }
  note.textContent = spec.note || "";
  canvas.hidden = false;
  canvas.setAttribute("aria-label", `${spec.title} (${spec.yUnit}); ${t("data_table")} ↓`);
  const valueAxis = {
    beginAtZero: true,
    stacked: spec.stacked,
    ticks: { precision: 0 }, // counts and whole percents: no 0.2 of a consultation
    title: { display: true, text: spec.yUnit },
  };
  const labelAxis = {
    stacked: spec.stacked,
    title: { display: Boolean(spec.xUnit), text: spec.xUnit || "" },
  };
  const datasets = spec.datasets.map((dataset, index) => ({
    ...dataset,
    backgroundColor: PALETTE[index % PALETTE.length],
    borderColor: PALETTE[index % PALETTE.length],
    borderWidth: 2,
    pointRadius: spec.type === "line" ? 2 : undefined,
  }));
  const chart = new window.Chart(canvas, {
    type: spec.type,
    data: { labels: spec.labels, datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: spec.horizontal ? "y" : "x",
      plugins: {
        // The figure's heading shows the title; the chart keeps it for whoever reads it.
        title: { display: false, text: spec.title },
        legend: { display: datasets.length > 1, position: "bottom" },
      },
      scales: spec.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
    },
  });
  charts.set(spec.id, chart);
  table(box, spec.title, spec.columns, spec.rows);
}

