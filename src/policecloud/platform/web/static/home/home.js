/* The home page: after login, one tile per app entry the user's permissions open (GET /api/menu), labelled in
   the chosen language. An entry the platform has no page for opens the API documentation instead. */
"use strict";

PC.extend({
  "zh-CN": {
    home_brand: "警务云 · 一屏功能展示", home_title: "我的应用", no_apps: "您的角色没有可打开的应用。",
    api_only: "通过接口使用（打开接口文档）", signed_in_as: "{user}（{roles}）",
  },
  en: {
    home_brand: "Police cloud · Apps", home_title: "My apps", no_apps: "Your roles open no app.",
    api_only: "Used through the API (opens the API documentation)", signed_in_as: "{user} ({roles})",
  },
});

const home = { entries: null, me: null };

function tile(entry) {
  const english = PC.state.lang === "en";
  const href = entry.page ? entry.path : "/docs";
  return PC.el("li", { class: `tile ${entry.page ? "page" : "api"}`, dataset: { key: entry.key } },
    PC.el("a", { href },
      PC.el("span", { class: "label" }, english ? entry.en : entry.zh),
      PC.el("span", { class: "app" }, english ? entry.app_en : entry.app_zh),
      entry.page ? null : PC.el("span", { class: "api-note" }, PC.t("api_only"))));
}

function render() {
  const status = PC.$("#home-status");
  if (home.me) {
    const roles = home.me.roles.map((r) => (PC.state.lang === "en" ? r.en : r.zh)).join("、");
    PC.$("#who").textContent = PC.t("signed_in_as", { user: home.me.username, roles });
  }
  if (home.entries === null) return;
  PC.fill(PC.$("#tiles"), home.entries.map(tile));
  status.textContent = home.entries.length ? "" : PC.t("no_apps");
  document.body.dataset.ready = "true";
}

async function load() {
  const status = PC.$("#home-status");
  status.className = "status";
  status.textContent = PC.t("loading");
  try {
    const [menu, me] = await Promise.all([
      PC.api("/api/menu", { personal: false }), PC.api("/api/auth/me", { personal: false }),
    ]);
    home.entries = menu.entries;
    home.me = me;
    render();
  } catch (error) {
    if (error.status === 401) { status.textContent = ""; return; }  // the login form is shown
    status.className = "status error";
    status.textContent = error.message;
  }
}

PC.state.onLanguage.push(render);
PC.start(load);
