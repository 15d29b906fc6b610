// The open-data portal's page: lists and searches the datasets through the gateway's CKAN
// Action API (/api/3/action/...), shows a dataset's resources with their download links and
// the first records of its table (datastore_search). Routes: #/ (search, ?q=&org=) and
// #/dataset/<name>. Every text from the API is put in the page as text, never as HTML.

const API = "/api/3/action/";
const PREVIEW_ROWS = 10;

const $ = (id) => document.getElementById(id);

async function action(name, params = {}) {
  const response = await fetch(API + name, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(params),
  });
  const body = await response.json();
  if (!body.success) {
    const error = body.error || {};
    const fields = Object.entries(error)
      .filter(([key]) => key !== "__type" && key !== "message")
      .map(([key, problems]) => `${key}: ${[].concat(problems).join(", ")}`);
    throw new Error([error.message || error.__type, ...fields].join("; "));
  }
  return body.result;
}

function element(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

function status(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

function datasetItem(dataset) {
  const item = element("li");
  const title = element("h3");
  title.append(element("a", dataset.title, { href: `#/dataset/${dataset.name}` }));
  item.append(title, element("p", dataset.notes));
  const meta = element("p", null, { class: "meta" });
  meta.append(`${dataset.organization.title} · `);
  for (const tag of dataset.tags) meta.append(element("span", tag.name, { class: "tag" }));
  meta.append(` · ${dataset.resources.map((r) => r.format).join(", ")}`);
  item.append(meta);
  return item;
}

async function showSearch(query) {
  $("dataset").hidden = true;
  $("results").hidden = false;
  $("q").value = query.get("q") || "";
  $("organization").value = query.get("org") || "";
  const params = { q: $("q").value, rows: 100, sort: "title asc" };
  if ($("organization").value) params.fq = `organization:${$("organization").value}`;
  status("加载中… Loading…");
  try {
    const found = await action("package_search", params);
    $("dataset-list").replaceChildren(...found.results.map(datasetItem));
    status(`${found.count} 个数据集 datasets`);
  } catch (error) {
    $("dataset-list").replaceChildren();
    status(`出错了 Error: ${error.message}`, true);
  }
}

function preview(table) {
  const shown = table.fields.filter((f) => f.id !== "_id");
  const grid = element("table");
  grid.append(element("caption", `${table.records.length} / ${table.total}`));
  const head = element("tr");
  for (const field of shown) head.append(element("th", field.id, { scope: "col" }));
  grid.append(head);
  for (const record of table.records) {
    const row = element("tr");
    for (const field of shown) row.append(element("td", record[field.id] ?? ""));
    grid.append(row);
  }
  return grid;
}

async function showDataset(name) {
  $("results").hidden = true;
  $("dataset").hidden = false;
  status("加载中… Loading…");
  try {
    const dataset = await action("package_show", { id: name });
    $("dataset-title").textContent = dataset.title;
    $("dataset-notes").textContent = dataset.notes;
    const facts = [
      ["部门 Department", dataset.organization.title],
      ["更新 Updated", `${dataset.metadata_modified} UTC`],
    ];
    const licence = element("a", dataset.license_title, { href: dataset.license_url });
    $("dataset-facts").replaceChildren(
      ...facts.flatMap(([term, value]) => [element("dt", term), element("dd", value)]),
      element("dt", "许可 Licence"),
    );
    const licenceValue = element("dd");
    licenceValue.append(licence);
    $("dataset-facts").append(licenceValue);
    $("resource-list").replaceChildren(
      ...dataset.resources.map((resource) => {
        const item = element("li");
        item.append(
          element("a", `${resource.name} — 下载 Download ${resource.format}`, {
            href: resource.url,
            class: "download",
            "data-format": resource.format,
          }),
        );
        return item;
      }),
    );
    const table = dataset.resources.find((resource) => resource.datastore_active);
    const records = await action("datastore_search", { resource_id: table.id, limit: PREVIEW_ROWS });
    $("preview").replaceChildren(preview(records));
    status("");
  } catch (error) {
    status(`出错了 Error: ${error.message}`, true);
  }
}

function route() {
  const [path, search = ""] = location.hash.replace(/^#/, "").split("?");
  const match = path.match(/^\/dataset\/([\w-]+)$/);
  if (match) return showDataset(match[1]);
  return showSearch(new URLSearchParams(search));
}

async function start() {
  try {
    const organizations = await action("organization_list", { all_fields: true });
    for (const organization of organizations) {
      $("organization").append(element("option", organization.title, { value: organization.name }));
    }
  } catch (error) {
    status(`出错了 Error: ${error.message}`, true);
  }
  $("search").addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    if ($("q").value.trim()) query.set("q", $("q").value.trim());
    if ($("organization").value) query.set("org", $("organization").value);
    const next = `#/?${query}`;
    if (location.hash === next) route();
    else location.hash = next;
  });
  window.addEventListener("hashchange", route);
  route();
}

start();
