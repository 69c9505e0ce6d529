/* The one map (一张图): boundaries, devices and live alerts on a MapLibre map drawn only from the
   platform's own GeoJSON (no tiles, no glyphs, no external host); statistics with ECharts; alerts pushed
   over the WebSocket stream. The session token lives in sessionStorage for this tab only. */
"use strict";

const I18N = {
  "zh-CN": {
    title: "湖北省公安 · 一张图", offline: "未连接", online: "实时连接", bigscreen: "大屏模式", exit_big: "退出大屏",
    logout: "退出", live_alerts: "实时预警", detail: "预警详情", acknowledge: "签收", close: "办结", hide: "关闭",
    login: "登录", username: "用户名", password: "密码", totp: "动态口令（如需要）", purpose: "查询事由", sign_in: "登录",
    default_purpose: "值班指挥：一张图实时预警监控", events_per_hour: "每小时事件数", alerts_by_type: "预警类型",
    alerts_by_prefecture: "各市州预警数", subject: "对象", reason: "原因", place: "地点", first_seen: "首次发现",
    last_seen: "最近发现", hits: "命中次数", status: "状态", assigned: "指派", close_note: "请输入办结说明：",
    vehicle: "车辆", person: "人员", phone: "手机", geofence: "电子围栏",
    new: "新预警", acknowledged: "已签收", closed: "已办结", checkpoint: "卡口", camera: "摄像机", unit: "警力",
    first_login: "首次登录须先修改初始密码：请在首页（/）登录并设置新密码。",
  },
  en: {
    title: "Hubei Public Security · One map", offline: "offline", online: "live", bigscreen: "Big screen",
    exit_big: "Exit big screen", logout: "Log out", live_alerts: "Live alerts", detail: "Alert detail",
    acknowledge: "Acknowledge", close: "Close", hide: "Hide", login: "Log in", username: "Username",
    password: "Password", totp: "One-time code (if required)", purpose: "Purpose", sign_in: "Log in",
    default_purpose: "Duty command: live alert monitoring on the one map", events_per_hour: "Events per hour",
    alerts_by_type: "Alerts by type", alerts_by_prefecture: "Alerts by prefecture", subject: "Subject",
    reason: "Reason", place: "Place", first_seen: "First seen", last_seen: "Last seen", hits: "Hits",
    status: "Status", assigned: "Assigned", close_note: "Note for closing:", vehicle: "Vehicle", person: "Person",
    phone: "Phone", geofence: "Geofence", new: "new", acknowledged: "acknowledged", closed: "closed",
    checkpoint: "Checkpoint", camera: "Camera", unit: "Police unit",
    first_login: "First login: choose your own password on the home page (/) first.",
  },
};

const state = {
  lang: localStorage.getItem("pc_lang") || "zh-CN",
  token: sessionStorage.getItem("pc_token"),
  purpose: sessionStorage.getItem("pc_purpose"),
  alerts: new Map(), markers: new Map(), prefectureNames: {}, map: null, charts: {}, ws: null, selected: null,
};
const TZ = "Asia/Shanghai";  // the province's time, whatever the screen's own time zone
const localTime = (iso, withDate = true) => new Date(iso).toLocaleString(state.lang,
  withDate ? { timeZone: TZ, hour12: false } : { timeZone: TZ, hour12: false, hour: "2-digit", minute: "2-digit", second: "2-digit" });
const t = (key) => (I18N[state.lang] || I18N["zh-CN"])[key] || key;
const $ = (sel) => document.querySelector(sel);

function applyLanguage() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  $("#lang").textContent = state.lang === "zh-CN" ? "English" : "中文";
  document.title = t("title");
  renderAlerts();
  if (state.stats) renderCharts(state.stats);
}

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json", ...(options.headers || {}) };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (options.personal) headers["X-Purpose"] = encodeURIComponent(state.purpose || "");
  const response = await fetch(path, { ...options, headers });
  const login = path === "/api/auth/login";  // its 401s explain themselves (wrong code, enrolment offered)
  if (response.status === 401 && !login) { showLogin(); throw new Error("unauthenticated"); }
  const body = await response.json();
  if (!response.ok) throw Object.assign(new Error(state.lang === "en" ? body.message : body.message_zh), { body });
  return body;
}

// --- login ---------------------------------------------------------------------------------------------
function showLogin() {
  $("#login").hidden = false;
  const purpose = $("#login-form [name=purpose]");
  if (!purpose.value) purpose.value = state.purpose || t("default_purpose");
}

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = { username: form.get("username"), password: form.get("password"), client: "api" };
  if (form.get("totp")) body.totp = form.get("totp");
  try {
    const reply = await api("/api/auth/login", { method: "POST", body: JSON.stringify(body) });
    if (reply.must_change_password) { $("#login-error").textContent = t("first_login"); return; }
    state.token = reply.token;
    state.purpose = form.get("purpose");
    sessionStorage.setItem("pc_token", state.token);
    sessionStorage.setItem("pc_purpose", state.purpose);
    $("#login").hidden = true;
    start();
  } catch (error) {
    $("#login-error").textContent = error.message;
    if (error.body && error.body.error === "mfa_enrolment_required") {  // first login: the user enrols this secret
      $("#login-error").style.whiteSpace = "pre-line";
      $("#login-error").textContent += `\n${error.body.totp_secret}\n${error.body.totp_uri}`;
    }
  }
});

$("#logout").addEventListener("click", async () => {
  try { await api("/api/auth/logout", { method: "POST" }); } catch (_) { /* already gone */ }
  sessionStorage.clear();
  location.reload();
});

// --- map -----------------------------------------------------------------------------------------------
function createMap() {
  const style = {
    version: 8,
    sources: {},
    layers: [{ id: "background", type: "background", paint: { "background-color": "#0b1e33" } }],
  };
  state.map = new maplibregl.Map({
    container: "map", style, center: [112.3, 30.95], zoom: 6.3, attributionControl: false,
    preserveDrawingBuffer: true,
  });
  state.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-left");
  return new Promise((resolve) => state.map.on("load", resolve));
}

async function loadLayers() {
  const [prefectures, counties, devices] = await Promise.all([
    api("/api/map/boundaries/prefectures"), api("/api/map/boundaries/counties"), api("/api/map/devices"),
  ]);
  const map = state.map;
  map.addSource("prefectures", { type: "geojson", data: prefectures });
  map.addSource("counties", { type: "geojson", data: counties });
  map.addLayer({ id: "prefecture-fill", type: "fill", source: "prefectures",
    paint: { "fill-color": "#12365a", "fill-opacity": 0.85 } });
  map.addLayer({ id: "county-line", type: "line", source: "counties",
    paint: { "line-color": "#2f6a9e", "line-width": 0.5 } });
  map.addLayer({ id: "prefecture-line", type: "line", source: "prefectures",
    paint: { "line-color": "#6fb3ff", "line-width": 1.4 } });
  for (const feature of prefectures.features) {
    const { code, name, seat } = feature.properties;
    state.prefectureNames[code] = name;
    if (!seat) continue;
    const label = document.createElement("div");
    label.className = "region-label";
    label.textContent = name;
    new maplibregl.Marker({ element: label }).setLngLat(seat).addTo(map);
  }
  const points = (kind) => ({
    type: "FeatureCollection",
    features: devices.devices.filter((d) => d.kind === kind && d.lon != null)
      .map((d) => ({ type: "Feature", geometry: { type: "Point", coordinates: [d.lon, d.lat] },
        properties: { code: d.code, name: d.name } })),
  });
  const colors = { checkpoint: "#ffd166", camera: "#06d6a0", unit: "#4cc9f0" };
  for (const kind of ["camera", "checkpoint", "unit"]) {
    map.addSource(kind, { type: "geojson", data: points(kind) });
    map.addLayer({ id: kind, type: "circle", source: kind,
      paint: { "circle-radius": kind === "unit" ? 3.5 : 2.5, "circle-color": colors[kind], "circle-opacity": 0.8 } });
  }
}

function placeMarker(alert) {
  if (alert.lon == null || !state.map) return;
  let marker = state.markers.get(alert.id);
  if (!marker) {
    const el = document.createElement("div");
    el.className = "alert-marker";
    el.dataset.alertId = alert.id;
    el.dataset.subject = alert.subject;
    el.title = `${alert.subject} · ${alert.place_name}`;
    el.addEventListener("click", () => showDetail(alert.id));
    marker = new maplibregl.Marker({ element: el }).setLngLat([alert.lon, alert.lat]).addTo(state.map);
    state.markers.set(alert.id, marker);
  }
  marker.getElement().classList.toggle("closed", alert.status === "closed");
  marker.getElement().classList.toggle("fresh", alert.status === "new");
}

// --- alerts --------------------------------------------------------------------------------------------
function upsertAlert(alert) {
  state.alerts.set(alert.id, { ...(state.alerts.get(alert.id) || {}), ...alert });
  placeMarker(state.alerts.get(alert.id));
}

function renderAlerts() {
  const list = $("#alerts");
  if (!list) return;
  const items = [...state.alerts.values()].sort((a, b) => b.id - a.id).slice(0, 200);
  list.replaceChildren(...items.map((a) => {
    const li = document.createElement("li");
    li.className = `alert-item ${a.status}`;
    li.dataset.alertId = a.id;
    li.dataset.subject = a.subject;
    const time = localTime(a.last_seen, false);
    li.innerHTML = `<b></b> <span class="tag"></span><br><small></small>`;
    li.querySelector("b").textContent = a.subject;
    li.querySelector(".tag").textContent = `${t(a.type)} · ${t(a.status)}`;
    li.querySelector("small").textContent = `${time} ${a.place_name || a.place_code} · ${a.reason}`;
    li.addEventListener("click", () => showDetail(a.id));
    return li;
  }));
  $("#alert-count").textContent = [...state.alerts.values()].filter((a) => a.status !== "closed").length;
}

async function showDetail(id) {
  const alert = await api(`/api/alerts/${id}`, { personal: true });
  state.selected = id;
  upsertAlert(alert);
  const rows = [["subject", alert.subject], ["reason", alert.reason], ["place", alert.place_name || alert.place_code],
    ["first_seen", localTime(alert.first_seen)], ["last_seen", localTime(alert.last_seen)], ["hits", alert.hits],
    ["status", t(alert.status)], ["assigned", alert.assigned_unit || alert.assigned_officer || "—"]];
  $("#detail-body").replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement("dt"); dt.textContent = t(k);
    const dd = document.createElement("dd"); dd.textContent = v;
    return [dt, dd];
  }));
  $("#notes").replaceChildren(...alert.notes.map((n) => {
    const li = document.createElement("li"); li.textContent = `${localTime(n.at)} ${n.author} ${t(n.action)} ${n.text}`;
    return li;
  }));
  $("#detail").hidden = false;
  if (alert.lon != null) state.map.easeTo({ center: [alert.lon, alert.lat], zoom: Math.max(state.map.getZoom(), 8) });
}

document.querySelectorAll("#detail [data-action]").forEach((button) => button.addEventListener("click", async () => {
  const action = button.dataset.action;
  const note = action === "close" ? prompt(t("close_note")) : "";
  if (action === "close" && !note) return;
  try {
    const alert = await api(`/api/alerts/${state.selected}/${action}`,
      { method: "POST", personal: true, body: JSON.stringify({ note }) });
    upsertAlert(alert);
    renderAlerts();
    showDetail(alert.id);
  } catch (error) { window.alert(error.message); }
}));
$("#detail-hide").addEventListener("click", () => { $("#detail").hidden = true; });

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/api/alerts/stream`);
  state.ws = ws;
  ws.onopen = () => ws.send(JSON.stringify({ token: state.token, purpose: state.purpose }));
  ws.onmessage = (message) => {
    const data = JSON.parse(message.data);
    if (data.topic === "ready") setConnected(true);
    else if (data.topic === "alert") { upsertAlert(data); renderAlerts(); statsSoon(); }
    else if (data.topic === "error") { setConnected(false); if (data.error !== "forbidden") showLogin(); }
  };
  ws.onclose = () => { setConnected(false); if (state.token) setTimeout(connect, 3000); };
}

function setConnected(on) {
  $("#conn").className = `dot ${on ? "on" : "off"}`;
  $("#conn-text").dataset.i18n = on ? "online" : "offline";
  $("#conn-text").textContent = t(on ? "online" : "offline");
}

// --- statistics ----------------------------------------------------------------------------------------
function renderCharts(stats) {
  if (typeof echarts === "undefined") return;
  const text = { color: "#cfe3ff" };
  const chart = (id) => state.charts[id] || (state.charts[id] = echarts.init(document.getElementById(id)));
  const still = { animation: false };  // a command screen updates all the time: no growing bars
  chart("chart-hour").setOption({ ...still,
    title: { text: t("events_per_hour"), textStyle: text, left: "center", top: 4 }, grid: { top: 34, bottom: 24, left: 48, right: 12 },
    xAxis: { type: "category", data: stats.events_per_hour.map((h) => localTime(h.hour, false).slice(0, 5)), axisLabel: text },
    yAxis: { type: "value", axisLabel: text }, series: [{ type: "bar", data: stats.events_per_hour.map((h) => h.count), itemStyle: { color: "#4cc9f0" } }],
  });
  chart("chart-type").setOption({ ...still,
    title: { text: t("alerts_by_type"), textStyle: text, left: "center", top: 4 },
    series: [{ type: "pie", radius: ["35%", "65%"], top: 20, label: { color: "#cfe3ff" },
      data: Object.entries(stats.alerts_by_type).map(([k, v]) => ({ name: t(k), value: v })) }],
  });
  const prefectures = Object.entries(stats.alerts_by_prefecture).sort((a, b) => b[1] - a[1]);
  chart("chart-prefecture").setOption({ ...still,
    title: { text: t("alerts_by_prefecture"), textStyle: text, left: "center", top: 4 }, grid: { top: 34, bottom: 24, left: 70, right: 12 },
    yAxis: { type: "category", data: prefectures.map(([code]) => state.prefectureNames[code] || code), axisLabel: text },
    xAxis: { type: "value", axisLabel: text }, series: [{ type: "bar", data: prefectures.map(([, n]) => n), itemStyle: { color: "#ef476f" } }],
  });
}

let statsTimer = null;
function statsSoon() {  // new alerts change the charts: refresh them, at most once a second
  if (!statsTimer) statsTimer = setTimeout(() => { statsTimer = null; refreshStats(); }, 1000);
}

async function refreshStats() {
  try { state.stats = await api("/api/map/stats"); renderCharts(state.stats); } catch (_) { /* shown next time */ }
}

// --- shell ---------------------------------------------------------------------------------------------
$("#lang").addEventListener("click", () => {
  state.lang = state.lang === "zh-CN" ? "en" : "zh-CN";
  localStorage.setItem("pc_lang", state.lang);
  applyLanguage();
});
$("#bigscreen").addEventListener("click", () => {
  const big = document.body.classList.toggle("bigscreen");
  $("#bigscreen").dataset.i18n = big ? "exit_big" : "bigscreen";
  $("#bigscreen").textContent = t(big ? "exit_big" : "bigscreen");
  if (big && document.documentElement.requestFullscreen) document.documentElement.requestFullscreen().catch(() => {});
  if (!big && document.fullscreenElement) document.exitFullscreen();
  setTimeout(() => { state.map && state.map.resize(); Object.values(state.charts).forEach((c) => c.resize()); }, 200);
});
setInterval(() => { $("#clock").textContent = localTime(new Date().toISOString()); }, 1000);

async function start() {
  if (!state.map) { await createMap(); await loadLayers(); }
  const recent = await api("/api/alerts?status=open&limit=200", { personal: true });
  recent.alerts.forEach(upsertAlert);
  renderAlerts();
  connect();
  refreshStats();
  setInterval(refreshStats, 30000);
  document.body.dataset.ready = "true";
}

// `policecloud demo` opens the page with a session in the fragment (never sent to the server): keep it, drop it.
if (location.hash.includes("token=")) {
  const params = new URLSearchParams(location.hash.slice(1));
  state.token = params.get("token");
  state.purpose = params.get("purpose") || I18N["zh-CN"].default_purpose;
  sessionStorage.setItem("pc_token", state.token);
  sessionStorage.setItem("pc_purpose", state.purpose);
  history.replaceState(null, "", location.pathname);
}
applyLanguage();
if (state.token && state.purpose) start().catch(() => showLogin()); else showLogin();
