/* The dossier page (全息档案) of one entity: values with their sources, the sections of its type, its records,
   timeline and relations graph (ECharts), the relation path to another entity, and for a vehicle its checkpoint
   trajectory on an offline MapLibre map with a time slider (an address: its incidents on the map). Everything
   comes from /api/dossier/… with the purpose given at login; nothing is fetched from outside the platform. */
"use strict";

const { el, $, t } = PC;
const entityId = decodeURIComponent(location.pathname.split("/").pop());
const state = { profile: null, relations: null, timeline: null, trajectory: null, timelinePage: 1, map: null, chart: null };
window.dossierState = state;  // for the browser tests
const HIDDEN_COLUMNS = new Set(["record_key", "roles", "related", "batch", "row", "day"]);

function dl(pairs) {
  return el("dl", { class: "pairs" }, pairs.filter(([, v]) => v != null && v !== "").flatMap(([k, v]) =>
    [el("dt", {}, t(k)), el("dd", {}, v instanceof Node ? v : String(v))]));
}
// Kinds whose detail tells the reader something (the shared household, address, phone, night or case).
const TOLD = new Set(["household", "co_residence", "shared_phone", "same_hotel_night", "co_offender", "same_case"]);
function links(items, kind) {
  if (!items || !items.length) return el("span", { class: "muted" }, t("none"));
  return el("ul", { class: "links" }, items.map((i) => el("li", {}, PC.entityLink(i),
    i.detail && TOLD.has(kind) ? el("small", {}, ` ${i.detail}`) : null)));
}
function group(g) { return g ? [links(g.items, g.kind), g.more ? el("small", { class: "muted" }, t("more", { n: g.more })) : null] : links([]); }
function cell(key, value) {
  if (value == null) return "";
  if (Array.isArray(value)) return value.join("、");
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}T/.test(value)) return PC.time(value);
  return String(value);
}
function table(rows, columns) {
  if (!rows || !rows.length) return el("p", { class: "muted" }, t("none"));
  const cols = columns || [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((c) => !HIDDEN_COLUMNS.has(c));
  return el("table", { class: "rows" }, el("thead", {}, el("tr", {}, cols.map((c) => el("th", {}, t(c))))),
    el("tbody", {}, rows.map((r) => el("tr", {}, cols.map((c) => {
      if (c === "related") return el("td", {}, (r.related || []).map(PC.entityLink));
      return el("td", {}, cell(c, r[c]));
    })))));
}
function section(title, ...body) { return el("div", { class: "section" }, el("h3", {}, title), ...body); }

// --- head, values, records -------------------------------------------------------------------------------
function renderHead() {
  const { entity, notes } = state.profile;
  $("#type-badge").textContent = t(entity.entity_type);
  $("#type-badge").className = `badge ${entity.entity_type}`;
  $("#caption").textContent = entity.caption || entity.key || entity.entity_id;
  $("#entity-key").textContent = entity.key && entity.key !== entity.caption ? entity.key : "";
  $("#entity-meta").textContent = [entity.county && t("entity_county", { c: entity.county }),
    t("records_n", { n: entity.records }), `${t("first_seen")} ${PC.time(entity.first_seen)}`,
    `${t("last_seen")} ${PC.time(entity.last_seen)}`, entity.entity_id].filter(Boolean).join(" · ");
  document.title = `${$("#caption").textContent} · ${t(entity.entity_type)}`;
  const all = [...(notes || []), ...((state.trajectory || {}).notes || [])];
  PC.fill($("#notes"), ...all.map((n) => el("li", {}, t(`note_${n}`) === `note_${n}` ? n : t(`note_${n}`))));
}

function renderProperties() {
  PC.fill($("#properties"), ...state.profile.properties.map((p) => el("tr", { class: p.conflict ? "conflict" : "" },
    el("th", {}, t(p.property), p.conflict ? el("span", { class: "flag" }, t("conflict")) : null),
    el("td", {}, p.values.map((v) => el("div", { class: "value" }, el("b", {}, v.value),
      el("small", {}, ` ${t("sources")}: ${v.sources.join("、")} · ${t("records_n", { n: v.records })} · `,
        `${PC.time(v.first_seen, false)} – ${PC.time(v.last_seen, false)}`)))))));
}

function renderRecords() {
  PC.fill($("#records"), ...state.profile.records.map((r) => {
    const box = el("div", { class: "record-table", dataset: { table: r.table } });
    const draw = (page) => {
      const pages = Math.ceil(r.total / r.per_page);
      PC.fill(box, el("h3", {}, `${t(`tbl_${r.table}`)} (${r.total})`), table(page.rows),
        pages > 1 ? el("div", { class: "pager" },
          el("button", { type: "button", disabled: page.page <= 1, onclick: () => more(page.page - 1) }, t("prev")),
          el("span", {}, t("page", { p: page.page }), ` / ${pages}`),
          el("button", { type: "button", disabled: page.page >= pages, onclick: () => more(page.page + 1) }, t("next"))) : null);
    };
    const more = async (page) => {
      try { draw(await PC.api(`/api/dossier/${entityId}/records?table=${r.table}&page=${page}&per_page=${r.per_page}`)); }
      catch (error) { box.append(el("p", { class: "error" }, error.message)); }
    };
    draw(r);
    return box;
  }));
}

// --- the sections of each type ---------------------------------------------------------------------------
function vehicleSummary(s) {
  const insp = s.inspection;
  const status = el("span", { class: `status-badge ${insp.status}` }, t(insp.status));
  const days = insp.days_left == null ? "" : insp.days_left >= 0 ? t("days_left", { n: insp.days_left }) : t("days_over", { n: -insp.days_left });
  const owner = s.owner.resolved.length ? links(s.owner.resolved)
    : el("span", {}, [s.owner.stated?.name, s.owner.stated?.id].filter(Boolean).join(" "), ` (${t("stated")})`);
  const v = s.violations;
  return [
    section(t("registration"), dl([...Object.entries(s.registration)])),
    section(t("inspection"), el("p", { id: "inspection" }, insp.valid_until || "—", " ", status, " ", days)),
    section(t("owner"), owner),
    section(t("violations"), el("p", {}, t("violations_sum", { n: v.total, f: v.fines, p: v.points })),
      table(v.latest, ["time", "description", "fine", "points", "violation_code"])),
    section(t("plates"), el("p", {}, s.plates.join("、"))),
    s.plate_shared_with.length ? section(t("plate_shared"), el("div", { class: "warning" }, links(s.plate_shared_with))) : null,
  ];
}

function personSummary(s) {
  const related = s.related || {};
  return [
    section(t("identity"), dl(Object.entries(s.identity))),
    section(t("household"), el("p", {}, `${t("household_number")}: ${s.household.numbers.join("、") || "—"}`), group(s.household.members)),
    section(t("addresses"), el("ul", {}, s.addresses.map((a) => el("li", {}, `${t(a.kind)}: ${a.text} `, el("small", {}, a.sources.join("、")))))),
    ...["phone", "vehicle", "house", "organization", "lives_at", "registered_at"].filter((k) => related[k])
      .map((k) => section(t(`rel_${k}`), group(related[k]))),
    section(t("cases"), table(s.cases, ["case_id", "role", "time", "case_type", "status", "summary"])),
  ];
}

function organizationSummary(s) {
  const rep = s.legal_representative;
  const related = s.related || {};
  return [
    dl([["org_type", s.org_type]]),
    section(t("legal_representative"), rep.resolved.length ? links(rep.resolved) : el("span", {}, rep.stated || "—")),
    ...Object.entries(related).map(([k, g]) => section(t(`rel_${k}`), group(g))),
    s.stays ? section(`${t("stays")} (${s.stays.total})`, table(s.stays.rows, ["start", "end", "related", "room", "name"])) : null,
    s.sessions ? section(`${t("sessions")} (${s.sessions.total})`, table(s.sessions.rows, ["start", "end", "related", "terminal", "name"])) : null,
  ];
}

function phoneSummary(s) {
  return [
    section(t("users"), group(s.users)),
    section(t("named_in_records"), el("ul", {}, s.named_in_records.map((n) => el("li", {}, `${n.name} `, el("small", {}, `${t(`tbl_${n.table_name}`)} · ${n.sources.join("、")}`))))),
    s.calls ? section(`${t("calls")} (${s.calls.total})`, table(s.calls.rows, ["time", "category", "narrative", "place", "related"])) : null,
  ];
}

function placeSummary(s) {
  const people = s.people || {};
  const inc = s.incidents || {};
  const owner = Array.isArray(s.owner) ? links(s.owner) : el("span", {}, s.owner?.stated || "—");
  return [
    dl([["text", s.address], ["use", s.use]]),
    section(t("owner"), owner),
    section(t("standard_addresses"), links(s.standard_addresses)),
    section(t("people_registered"), links(people.registered_address)),
    section(t("people_current"), links(people.current_address)),
    ...Object.entries(s.related || {}).map(([k, g]) => section(t(`rel_${k}`), group(g))),
    section(t("incidents_here"), table(inc.at_address, ["time", "category", "narrative", "place"])),
    inc.centre ? section(t("incidents_nearby", { r: inc.radius_m }), table(inc.nearby, ["time", "distance_m", "category", "narrative", "place"])) : null,
  ];
}

const SUMMARIES = { vehicle: vehicleSummary, person: personSummary, organization: organizationSummary, phone: phoneSummary,
  house: placeSummary, address: placeSummary };

function renderSummary() {
  const { entity, sections } = state.profile;
  const builder = SUMMARIES[entity.entity_type];
  PC.fill($("#summary"), ...(builder ? builder(sections) : []).filter(Boolean));
}

// --- relations: lists and graph ----------------------------------------------------------------------------
function renderRelations() {
  const found = state.relations;
  if (!found) return;
  PC.fill($("#relation-lists"), ...found.kinds.map((g) => {
    const box = el("div", { class: "relation-kind", dataset: { kind: g.kind } });
    const draw = () => PC.fill(box, el("h3", {}, `${t(`rel_${g.kind}`)} (${g.total})`), links(g.items, g.kind),
      g.more ? el("button", { type: "button", onclick: async () => {
        const next = await PC.api(`/api/dossier/${entityId}/relations?kind=${g.kind}&page=${g.page + 1}&per_kind=${g.per_kind}`);
        const more = next.kinds[0];
        if (more) { g.items.push(...more.items); g.page = more.page; g.more = more.more; draw(); }
      } }, t("more", { n: g.more })) : null);
    draw();
    return box;
  }));
  drawGraph();
}

function drawGraph() {
  if (typeof echarts === "undefined" || !state.relations) return;
  const centre = state.relations.entity;
  const types = ["person", "vehicle", "organization", "phone", "house", "address"];
  const nodes = new Map([[centre.entity_id, { id: centre.entity_id, name: centre.caption || centre.entity_id, symbolSize: 34,
    category: types.indexOf(centre.entity_type), value: centre.entity_id, itemStyle: { borderColor: "#000", borderWidth: 2 } }]]);
  const edges = [];
  for (const g of state.relations.kinds) {
    for (const item of g.items.slice(0, 30)) {
      if (!nodes.has(item.entity_id)) {
        nodes.set(item.entity_id, { id: item.entity_id, name: item.caption || t("outside_scope"), symbolSize: 18,
          category: Math.max(0, types.indexOf(item.entity_type)), value: item.in_scope ? item.entity_id : "" });
      }
      edges.push({ source: centre.entity_id, target: item.entity_id, label: { show: true, formatter: t(`rel_${g.kind}`) } });
    }
  }
  state.chart = state.chart || echarts.init($("#graph"));
  state.chart.setOption({
    animation: false,
    legend: [{ data: types.map(t), bottom: 0 }],
    series: [{ type: "graph", layout: "force", roam: true, draggable: true, force: { repulsion: 220, edgeLength: 110, layoutAnimation: false },
      categories: types.map((k) => ({ name: t(k) })), data: [...nodes.values()], links: edges,
      label: { show: true, position: "right", fontSize: 11 }, edgeLabel: { fontSize: 10 } }],
  }, true);
  state.chart.off("click");
  state.chart.on("click", (e) => { if (e.dataType === "node" && e.data.value && e.data.value !== entityId) location.href = `/dossier/${e.data.value}`; });
  document.body.dataset.graph = String(nodes.size);
}

// --- timeline ------------------------------------------------------------------------------------------------
function eventText(e) {
  const d = e.data || {};
  switch (e.kind) {
    case "hotel_stay": return [d.room && `${t("room")} ${d.room}`, d.name].filter(Boolean).join(" · ");
    case "internet_session": return [d.terminal && `${t("terminal")} ${d.terminal}`, d.name].filter(Boolean).join(" · ");
    case "call110": return [d.category, d.narrative, d.place].filter(Boolean).join(" · ");
    case "traffic_violation": return [d.description, d.fine != null && `${d.fine} 元`, d.points != null && `${d.points} 分`].filter(Boolean).join(" · ");
    case "case_involvement": return [d.case_id, d.role, d.case?.case_type, d.case?.summary].filter(Boolean).join(" · ");
    case "checkpoint_pass": return [d.checkpoint_name || d.checkpoint_id, d.direction, d.speed != null && `${d.speed} km/h`].filter(Boolean).join(" · ");
    case "checkpoint_day": return t("day_summary", { n: d.passes, c: d.checkpoints, a: d.first_checkpoint, b: d.last_checkpoint });
    default: return Object.values(d).filter((v) => typeof v === "string").slice(0, 3).join(" · ");
  }
}

function renderTimeline() {
  const found = state.timeline;
  if (!found) return;
  PC.fill($("#timeline"), ...found.items.map((e) => el("li", { class: `event ${e.kind}` },
    el("time", {}, PC.time(e.time), e.end && e.kind !== "checkpoint_day" ? ` – ${PC.time(e.end)}` : ""),
    el("span", { class: "tag" }, t(`tbl_${e.kind}`)), " ", eventText(e), " ", ...(e.related || []).map(PC.entityLink))));
  const pages = Math.max(1, Math.ceil(found.total / found.per_page));
  PC.fill($("#timeline-pager"), 
    el("button", { type: "button", disabled: found.page <= 1, onclick: () => loadTimeline(found.page - 1) }, t("prev")),
    el("span", {}, t("page", { p: found.page }), ` / ${pages} (${found.total})`),
    el("button", { type: "button", disabled: found.page >= pages, onclick: () => loadTimeline(found.page + 1) }, t("next")));
}

async function loadTimeline(page) {
  try { state.timeline = await PC.api(`/api/dossier/${entityId}/timeline?page=${page}&per_page=20`); renderTimeline(); }
  catch (error) { PC.fill($("#timeline"), el("li", { class: "error" }, error.message)); }
}

// --- the map: a vehicle's trajectory with a time slider, an address's incidents ---------------------------
async function ensureMap() {
  if (state.map) return state.map;
  $("#map-card").hidden = false;
  const style = { version: 8, sources: {}, layers: [{ id: "background", type: "background", paint: { "background-color": "#eef2f6" } }] };
  state.map = new maplibregl.Map({ container: "map", style, center: [112.3, 30.95], zoom: 6, attributionControl: false,
    preserveDrawingBuffer: true });
  state.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-left");
  await new Promise((resolve) => state.map.on("load", resolve));
  try {
    const prefectures = await PC.api("/api/map/boundaries/prefectures", { personal: false });
    state.map.addSource("prefectures", { type: "geojson", data: prefectures });
    state.map.addLayer({ id: "prefecture-fill", type: "fill", source: "prefectures", paint: { "fill-color": "#dde6ef", "fill-opacity": 0.8 } });
    state.map.addLayer({ id: "prefecture-line", type: "line", source: "prefectures", paint: { "line-color": "#7d99b8", "line-width": 1 } });
  } catch (_) { /* the role may not view the map layers: the trajectory is drawn without boundaries */ }
  return state.map;
}

function localInput(iso) { return iso ? iso.slice(0, 19) : ""; }

async function loadTrajectory(start, end) {
  const query = new URLSearchParams();
  if (start) query.set("start", start);
  if (end) query.set("end", end);
  try {
    state.trajectory = await PC.api(`/api/dossier/${entityId}/trajectory?${query}`);
  } catch (error) { $("#map-info").textContent = error.message; return; }
  const map = await ensureMap();
  $("#map-card h2").textContent = t("map");
  const found = state.trajectory;
  $("#range-start").value = localInput(found.start);
  $("#range-end").value = localInput(found.end);
  const points = found.points.filter((p) => p.lon != null);
  const line = { type: "Feature", geometry: { type: "LineString", coordinates: points.map((p) => [p.lon, p.lat]) }, properties: {} };
  const dots = { type: "FeatureCollection", features: points.map((p, i) => ({ type: "Feature", geometry: { type: "Point", coordinates: [p.lon, p.lat] },
    properties: { idx: i, name: p.checkpoint_name || p.checkpoint_id, time: p.time } })) };
  if (map.getSource("track")) {
    map.getSource("track").setData(line);
    map.getSource("passes").setData(dots);
  } else {
    map.addSource("track", { type: "geojson", data: line });
    map.addSource("passes", { type: "geojson", data: dots });
    map.addLayer({ id: "track", type: "line", source: "track", paint: { "line-color": "#1d6fd8", "line-width": 2.5 } });
    map.addLayer({ id: "passes", type: "circle", source: "passes", paint: { "circle-radius": 4.5, "circle-color": "#e4572e",
      "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
  }
  state.points = points;
  const slider = $("#slider");
  slider.max = Math.max(0, points.length - 1);
  slider.value = slider.max;
  moveSlider();
  if (points.length) {
    const bounds = points.reduce((b, p) => b.extend([p.lon, p.lat]), new maplibregl.LngLatBounds([points[0].lon, points[0].lat], [points[0].lon, points[0].lat]));
    map.fitBounds(bounds, { padding: 50, maxZoom: 13, duration: 0 });
  }
  const info = [points.length ? t("passes_n", { n: found.total }) : t("no_passes"), t("located_n", { n: found.located }),
    found.truncated ? t("truncated_points", { n: found.points.length }) : null, t("trajectory_source", { s: found.source || "—" })];
  $("#map-info").textContent = info.filter(Boolean).join(" · ");
  renderHead();
  document.body.dataset.trajectory = String(points.length);
}

function moveSlider() {
  const points = state.points || [];
  const upto = Number($("#slider").value);
  if (!state.map || !state.map.getSource("track")) return;
  state.map.setFilter("passes", ["<=", ["get", "idx"], upto]);
  state.map.getSource("track").setData({ type: "Feature", properties: {},
    geometry: { type: "LineString", coordinates: points.slice(0, upto + 1).map((p) => [p.lon, p.lat]) } });
  state.shown = Math.min(points.length, upto + 1);  // passes drawn up to the slider's time
  const p = points[upto];
  $("#slider-label").textContent = p ? `${PC.time(p.time)} · ${p.checkpoint_name || p.checkpoint_id}` : "";
  if (p) {
    state.marker = state.marker || new maplibregl.Marker({ color: "#e4572e" });
    state.marker.setLngLat([p.lon, p.lat]).addTo(state.map);
  }
}

async function drawPlace() {
  const inc = state.profile.sections.incidents || {};
  if (!inc.centre) return;
  const map = await ensureMap();
  $("#map-card h2").textContent = t("map_place");
  $("#range-form").hidden = true;
  $("#slider-row").hidden = true;
  const located = [...(inc.nearby || []), ...(inc.at_address || [])].filter((c) => c.lon != null);
  map.addSource("incidents", { type: "geojson", data: { type: "FeatureCollection", features: located.map((c) => ({
    type: "Feature", geometry: { type: "Point", coordinates: [c.lon, c.lat] }, properties: { category: c.category } })) } });
  map.addLayer({ id: "incidents", type: "circle", source: "incidents", paint: { "circle-radius": 5, "circle-color": "#e4572e" } });
  new maplibregl.Marker({ color: "#1d6fd8" }).setLngLat(inc.centre).addTo(map);
  map.jumpTo({ center: inc.centre, zoom: 14 });
}

// --- the path between two entities ----------------------------------------------------------------------
$("#path-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const to = new FormData(event.target).get("to").trim();
  const box = $("#path-result");
  PC.fill(box, el("p", {}, t("loading")));
  try {
    const found = await PC.api(`/api/dossier/path?${new URLSearchParams({ from: entityId, to })}`);
    if (!found.found) {
      PC.fill(box, el("p", {}, found.truncated ? t("path_truncated") : t("no_path", { d: found.max_depth, n: found.explored })));
      return;
    }
    const chain = [];
    found.nodes.forEach((node, i) => {
      chain.push(el("li", { class: "path-node" }, PC.entityLink(node), el("small", {}, ` ${t(node.entity_type)}`)));
      const edge = found.edges[i];
      if (edge) chain.push(el("li", { class: "path-edge" }, `↕ ${t(`rel_${edge.kind}`)}${edge.detail ? ` (${edge.detail})` : ""}`));
    });
    PC.fill(box, el("p", {}, t("path_found", { d: found.depth })), el("ol", { class: "path" }, chain));
  } catch (error) { PC.fill(box, el("p", { class: "error" }, error.status === 403 ? t("forbidden") : error.message)); }
});

$("#range-form").addEventListener("submit", (event) => {
  event.preventDefault();
  loadTrajectory($("#range-start").value, $("#range-end").value);
});
$("#slider").addEventListener("input", moveSlider);
$("#quick-search").addEventListener("submit", (event) => {
  event.preventDefault();
  location.href = `/search?${new URLSearchParams({ q: new FormData(event.target).get("q") })}`;
});

function renderAll() {
  if (!state.profile) return;
  renderHead(); renderProperties(); renderSummary(); renderRecords(); renderRelations(); renderTimeline();
}
PC.state.onLanguage.push(renderAll);

async function load() {
  $("#message").textContent = t("loading");
  try {
    state.profile = await PC.api(`/api/dossier/${entityId}`);
  } catch (error) {
    if (error.status !== 401) $("#message").textContent = error.status === 404 ? t("not_found") : error.message;
    return;
  }
  $("#message").textContent = "";
  renderHead(); renderProperties(); renderSummary(); renderRecords();
  document.body.dataset.ready = "true";
  const type = state.profile.entity.entity_type;
  const work = [
    PC.api(`/api/dossier/${entityId}/relations`).then((r) => { state.relations = r; renderRelations(); })
      .catch((error) => PC.fill($("#relation-lists"), el("p", { class: "error" }, error.message))),
    loadTimeline(1),
  ];
  if (type === "vehicle") work.push(loadTrajectory());
  if (type === "house" || type === "address") work.push(drawPlace());
  await Promise.all(work);
}

PC.start(load);
