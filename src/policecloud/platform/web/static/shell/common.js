/* Shared by the search and dossier pages: language, the session (token and purpose in this tab's
   sessionStorage, as on the one map), the login form, API calls with the purpose header, safe DOM building.
   Every value is put on the page with textContent, never as HTML. */
"use strict";

const PC = (() => {
  const dictionaries = { "zh-CN": {
    site_brand: "警务云 · 数据追踪", search: "云搜索", logout: "退出", purpose: "查询事由", change: "更改", login: "登录",
    username: "用户名", password: "密码", totp: "动态口令（如需要）", sign_in: "登录",
    purpose_hint: "案件编号 case:…、警情编号 incident:… 或不少于10个字的理由", new_purpose: "请输入新的查询事由：",
    loading: "加载中…", none: "无", more: "还有 {n} 条", next: "下一页", prev: "上一页", page: "第 {p} 页",
    error: "出错了", forbidden: "您的角色无权查看", not_found: "您的辖区内没有该对象", unavailable: "服务暂不可用",
    person: "人员", vehicle: "车辆", organization: "单位", phone: "电话", house: "房屋", address: "标准地址",
    call110: "110警情", criminal_case: "刑事案件", sources: "来源", records_n: "{n} 条记录",
    first_seen: "首次出现", last_seen: "最近出现", outside_scope: "辖区外",
    new_password: "新密码（至少12位，字母与数字或符号）", password_set: "密码已修改，请用新密码和新的动态口令重新登录。",
  }, en: {
    site_brand: "Police cloud · Tracking", search: "Search", logout: "Log out", purpose: "Purpose", change: "Change",
    login: "Log in", username: "Username", password: "Password", totp: "One-time code (if required)",
    sign_in: "Log in", purpose_hint: "case:…, incident:… or a justification of at least 10 characters",
    new_purpose: "New purpose:", loading: "Loading…", none: "None", more: "{n} more", next: "Next",
    prev: "Previous", page: "Page {p}", error: "Error", forbidden: "Your role may not see this",
    not_found: "No such entity in your jurisdiction", unavailable: "Service unavailable", person: "Person",
    vehicle: "Vehicle", organization: "Organization", phone: "Phone", house: "House", address: "Address",
    call110: "110 call", criminal_case: "Criminal case", sources: "Sources", records_n: "{n} records",
    first_seen: "First seen", last_seen: "Last seen", outside_scope: "outside jurisdiction",
    new_password: "New password (12+ characters, letters with digits or symbols)",
    password_set: "Password changed: log in again with the new password (and a new one-time code).",
  } };
  const state = {
    lang: localStorage.getItem("pc_lang") || "zh-CN",
    token: sessionStorage.getItem("pc_token"),
    purpose: sessionStorage.getItem("pc_purpose"),
    onLogin: null, onLanguage: [],
  };
  const TZ = "Asia/Shanghai";

  function extend(more) {
    for (const [lang, words] of Object.entries(more)) Object.assign(dictionaries[lang], words);
  }
  function t(key, vars = {}) {
    const text = (dictionaries[state.lang] || dictionaries["zh-CN"])[key] ?? dictionaries["zh-CN"][key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name) => vars[name] ?? "");
  }
  const $ = (sel, root = document) => root.querySelector(sel);

  /* el("a", {href: "/x", class: "y"}, "text", child, …) — attributes set as properties or attributes, children
     as text nodes or elements. */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "dataset") Object.assign(node.dataset, v);
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children.flat()) {
      if (child == null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /* Replace a node's children, leaving out the absent ones (replaceChildren would write "null"). */
  function fill(node, ...children) {
    node.replaceChildren(...children.flat().filter((c) => c != null && c !== false));
    return node;
  }

  function time(iso, withTime = true) {
    if (!iso) return "—";
    if (iso.length === 10) return iso;
    const options = withTime ? { timeZone: TZ, hour12: false } : { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit" };
    return new Date(iso).toLocaleString(state.lang, options);
  }

  function applyLanguage() {
    document.documentElement.lang = state.lang;
    document.querySelectorAll("[data-i18n]").forEach((node) => { node.textContent = t(node.dataset.i18n); });
    document.querySelectorAll("[data-i18n-placeholder]").forEach((node) => { node.placeholder = t(node.dataset.i18nPlaceholder); });
    const button = $("#lang");
    if (button) button.textContent = state.lang === "zh-CN" ? "English" : "中文";
    const shown = $("#purpose-text");
    if (shown) shown.textContent = state.purpose || "—";
    state.onLanguage.forEach((fn) => fn());
  }

  class ApiError extends Error {
    constructor(status, body) {
      super((state.lang === "en" ? body.message : body.message_zh) || body.message || `HTTP ${status}`);
      this.status = status; this.code = body.error; this.body = body;
    }
  }

  async function api(path, { personal = true, method = "GET", body } = {}) {
    const headers = { Accept: "application/json" };
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    if (personal && state.purpose) headers["X-Purpose"] = encodeURIComponent(state.purpose);
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    let payload = {};
    try { payload = await response.json(); } catch (_) { /* not JSON */ }
    if (response.status === 401) { showLogin(); throw new ApiError(401, payload); }
    if (!response.ok) throw new ApiError(response.status, payload);
    return payload;
  }

  function showLogin() {
    $("#login").hidden = false;
    const purpose = $("#login-form [name=purpose]");
    if (!purpose.value) purpose.value = state.purpose || "";
  }

  function setPurpose(purpose) {
    state.purpose = purpose;
    sessionStorage.setItem("pc_purpose", purpose);
    applyLanguage();
  }

  function start(onLogin) {
    state.onLogin = onLogin;
    $("#login-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = new FormData(event.target);
      const body = { username: form.get("username"), password: form.get("password"), client: "api" };
      if (form.get("totp")) body.totp = form.get("totp");
      try {
        if (state.firstLogin) { await changeFirstPassword(form); return; }
        const reply = await api("/api/auth/login", { method: "POST", body, personal: false });
        if (reply.must_change_password) { askNewPassword(reply.token); return; }
        state.token = reply.token;
        sessionStorage.setItem("pc_token", reply.token);
        setPurpose(form.get("purpose"));
        $("#login").hidden = true;
        $("#login-error").textContent = "";
        state.onLogin();
      } catch (error) {
        $("#login-error").textContent = error.message;
        if (error.code === "mfa_enrolment_required") {  // first login: the user enrols the offered secret
          $("#login-error").style.whiteSpace = "pre-line";
          $("#login-error").textContent += `\n${error.body.totp_secret}\n${error.body.totp_uri}`;
        }
      }
    });
    $("#lang").addEventListener("click", () => {
      state.lang = state.lang === "zh-CN" ? "en" : "zh-CN";
      localStorage.setItem("pc_lang", state.lang);
      applyLanguage();
    });
    $("#logout").addEventListener("click", async () => {
      try { await api("/api/auth/logout", { method: "POST", personal: false }); } catch (_) { /* gone already */ }
      sessionStorage.clear();
      location.reload();
    });
    $("#purpose-change").addEventListener("click", () => {
      const purpose = prompt(t("new_purpose"), state.purpose || "");
      if (purpose) { setPurpose(purpose); state.onLogin(); }
    });
    applyLanguage();
    if (state.token && state.purpose) onLogin(); else showLogin();
  }

  /* A new account's session may only change the password (the server refuses everything else): ask for it. */
  function askNewPassword(token) {
    state.firstLogin = token;
    const field = el("input", { type: "password", name: "new_password", autocomplete: "new-password",
      required: true, placeholder: t("new_password"), "aria-label": t("new_password") });
    $("#login-form [name=password]").after(field);
    field.focus();
    $("#login-error").textContent = t("new_password");
  }

  async function changeFirstPassword(form) {
    const saved = state.token;
    state.token = state.firstLogin;
    try {
      await api("/api/auth/password", { method: "POST", personal: false,
        body: { current_password: form.get("password"), new_password: form.get("new_password") } });
      state.firstLogin = null;
      $("#login-form [name=new_password]").remove();
      $("#login-form").reset();
      $("#login-error").textContent = t("password_set");
    } finally { state.token = saved; }
  }

  /* A link to an entity's dossier, or its caption alone when it lies outside the reader's jurisdiction. */
  function entityLink(ref) {
    const label = ref.caption || ref.key || ref.entity_id;
    if (!ref.entity_id || ref.in_scope === false) {
      return el("span", { class: "entity out", title: t("outside_scope") }, label || t("outside_scope"));
    }
    return el("a", { class: `entity ${ref.entity_type || ""}`, href: `/dossier/${ref.entity_id}`,
      dataset: { entityId: ref.entity_id } }, label);
  }

  return { state, t, el, $, fill, time, api, extend, start, applyLanguage, entityLink, setPurpose, ApiError };
})();
