/* The cloud search page: one box, results with highlighted snippets, facets by type / prefecture / county, paging.
   It asks /api/search; when the search index is not available it says so and falls back to the dossiers' exact
   lookup of identifiers and names (/api/dossier/lookup). The query lives in the address, so a search can be
   linked and the back button works. */
"use strict";

PC.extend({
  "zh-CN": {
    search_hint: "身份证号、车牌、手机号、统一社会信用代码、车架号、姓名或关键词", mode_auto: "自动识别",
    mode_identifier: "标识精确", mode_name: "姓名", mode_text: "全文", results_n: "共 {n} 条结果",
    mode_used: "检索方式：{m}", fallback: "全文检索暂不可用（{why}），已改为按标识和姓名精确查找。",
    facet_type: "类型", facet_prefecture: "市州", facet_county: "区县", all: "全部", no_results: "没有找到结果",
    "identifier:id_number": "身份证号精确查找", "identifier:plate": "车牌精确查找", "identifier:phone": "电话号码精确查找",
    "identifier:uscc": "统一社会信用代码精确查找", "identifier:vin": "车架号精确查找", identifier: "标识精确查找",
    name: "姓名查找", text: "全文检索", matched_name_similar: "近似姓名", matched_name_fuzzy: "近似姓名",
  },
  en: {
    search_hint: "ID number, plate, phone, credit code, VIN, name or words", mode_auto: "Auto", mode_identifier: "Identifier",
    mode_name: "Name", mode_text: "Full text", results_n: "{n} results", mode_used: "Mode: {m}",
    fallback: "Full-text search is not available ({why}); looked up identifiers and names exactly instead.",
    facet_type: "Type", facet_prefecture: "Prefecture", facet_county: "County", all: "All", no_results: "Nothing found",
    "identifier:id_number": "exact ID number", "identifier:plate": "exact plate", "identifier:phone": "exact phone number",
    "identifier:uscc": "exact credit code", "identifier:vin": "exact VIN", identifier: "exact identifier",
    name: "name", text: "full text", matched_name_similar: "similar name", matched_name_fuzzy: "similar name",
  },
});

const { el, $, t } = PC;
const ENTITY_TYPES = ["person", "vehicle", "organization", "phone", "house", "address"];
let last = null;

function params() {
  const p = new URLSearchParams(location.search);
  return { q: p.get("q") || "", mode: p.get("mode") || "", type: p.get("type") || "", county: p.get("county") || "",
    page: Number(p.get("page") || 1) };
}

function go(changes) {
  const next = { ...params(), page: 1, ...changes };
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(next)) if (v && !(k === "page" && v === 1)) query.set(k, v);
  history.pushState(null, "", `/search?${query}`);
  run();
}

function snippet(text, spans) {
  const out = el("span", { class: "snippet" });
  let at = 0;
  for (const [start, end] of spans || []) {
    out.append(text.slice(at, start), el("mark", {}, text.slice(start, end)));
    at = end;
  }
  out.append(text.slice(at));
  return out;
}

function hitItem(hit) {
  const isEntity = ENTITY_TYPES.includes(hit.type);
  const title = isEntity
    ? PC.entityLink({ entity_id: hit.id, entity_type: hit.type, caption: hit.caption, key: hit.key })
    : el("b", {}, hit.caption || hit.record_id || hit.id);
  const meta = [t(hit.type), hit.key && hit.key !== hit.caption ? hit.key : null, hit.county,
    hit.matched && t(`matched_${hit.matched}`) !== `matched_${hit.matched}` ? t(`matched_${hit.matched}`) : null,
    hit.records ? t("records_n", { n: hit.records }) : null].filter(Boolean).join(" · ");
  const entities = (hit.entities || []).map((id) => el("a", { class: "chip", href: `/dossier/${id}` }, id));
  return el("li", { class: `hit ${hit.type}`, dataset: { entityId: isEntity ? hit.id : "", type: hit.type } },
    el("div", { class: "hit-title" }, el("span", { class: `badge ${hit.type}` }, t(hit.type)), title),
    el("div", { class: "meta" }, meta),
    hit.snippet ? snippet(hit.snippet, hit.highlights) : null,
    entities.length ? el("div", { class: "chips" }, entities) : null);
}

function facetList(name, buckets, current, key) {
  if (!buckets || !buckets.length) return null;
  const items = [el("li", {}, el("a", { href: "#", class: current ? "" : "on", onclick: (e) => { e.preventDefault(); go({ [key]: "" }); } }, t("all")))];
  for (const b of buckets) {
    if (b.key === "(other)") continue;
    items.push(el("li", {}, el("a", { href: "#", class: current === b.key ? "on" : "",
      onclick: (e) => { e.preventDefault(); go({ [key]: b.key }); } }, `${key === "type" ? t(b.key) : b.key} (${b.count})`)));
  }
  return el("div", { class: "facet" }, el("h3", {}, t(`facet_${name}`)), el("ul", {}, items));
}

function render() {
  const p = params();
  const status = $("#search-status");
  const results = $("#results");
  PC.fill(results, );
  PC.fill($("#facets"), );
  PC.fill($("#pager"), );
  if (!last) return;
  if (last.kind === "error") { status.textContent = last.message; status.className = "status error"; return; }
  status.className = "status";
  const result = last.result;
  const parts = [t("results_n", { n: result.total }), t("mode_used", { m: t(result.mode) })];
  if (last.kind === "lookup") parts.unshift(t("fallback", { why: last.why }));
  for (const note of result.notes || []) parts.push(PC.state.lang === "en" ? note.en : note.zh);
  status.textContent = parts.join(" · ");
  const hits = result.hits || [];
  if (!hits.length) results.append(el("li", { class: "empty" }, t("no_results")));
  results.append(...hits.map(hitItem));
  if (result.facets) {
    $("#facets").append(...[facetList("type", result.facets.type, p.type, "type"),
      facetList("prefecture", result.facets.prefecture, p.county.length === 4 ? p.county : "", "county"),
      facetList("county", result.facets.county, p.county.length === 6 ? p.county : "", "county")].filter(Boolean));
  }
  const pages = Math.ceil((result.total || 0) / (result.per_page || 20));
  if (pages > 1) {
    $("#pager").append(
      el("button", { type: "button", disabled: p.page <= 1, onclick: () => go({ ...p, page: p.page - 1 }) }, t("prev")),
      el("span", {}, t("page", { p: p.page }), ` / ${pages}`),
      el("button", { type: "button", disabled: p.page >= pages, onclick: () => go({ ...p, page: p.page + 1 }) }, t("next")));
  }
}

async function run() {
  const p = params();
  $("#q").value = p.q;
  $("#mode").value = p.mode;
  if (!p.q) { last = null; render(); return; }
  $("#search-status").textContent = t("loading");
  const query = new URLSearchParams({ q: p.q, page: p.page });
  if (p.mode) query.set("mode", p.mode);
  if (p.type) query.set("type", p.type);
  if (p.county) query.set("county", p.county);
  try {
    last = { kind: "search", result: await PC.api(`/api/search?${query}`) };
  } catch (error) {
    if (error.status === 401) return;
    if ([404, 503].includes(error.status)) {
      try {
        const found = await PC.api(`/api/dossier/lookup?${new URLSearchParams({ q: p.q })}`);
        const hits = found.items.map((i) => ({ id: i.entity_id, type: i.entity_type, caption: i.caption, key: i.key,
          county: i.county, records: i.records }));
        last = { kind: "lookup", why: error.message, result: { mode: found.mode, total: found.count, hits, per_page: 50 } };
      } catch (inner) {
        if (inner.status === 401) return;
        last = { kind: "error", message: inner.message };
      }
    } else {
      last = { kind: "error", message: error.message };
    }
  }
  render();
  document.body.dataset.searched = p.q;
}

$("#search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  go({ q: $("#q").value.trim(), mode: $("#mode").value, type: "", county: "" });
});
window.addEventListener("popstate", run);
PC.state.onLanguage.push(render);
PC.start(run);
