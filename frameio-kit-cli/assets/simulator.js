// The frameio-kit simulator page. Builds every element with the DOM API and sets text with
// textContent, so nothing the app answers is ever parsed as HTML.
"use strict";

const ICONS = { folder: "▤", file: "▶", version_stack: "❐" };
let state = null;
let current = null; // { event, asset, interaction_id, fields }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  const json = await response.json().catch(() => ({ error: "the simulator answered " + response.status }));
  if (!response.ok) throw new Error(json.error || ("HTTP " + response.status));
  return json;
}

function closeMenus() {
  document.querySelectorAll(".menu").forEach((menu) => menu.remove());
}

function offered(action, type) {
  return !action.resource_types || action.resource_types.includes(type);
}

function renderAssets() {
  const list = document.getElementById("assets");
  list.replaceChildren();
  for (const asset of state.project.assets) {
    const button = el("button", {
      class: "menu-button", type: "button", title: "Actions", "aria-haspopup": "menu",
      onclick: (event) => { event.stopPropagation(); openMenu(asset, row); },
    }, "⋯");
    const row = el("li", { class: "asset", id: "asset-" + asset.id, "data-type": asset.type },
      el("span", { class: "icon", text: ICONS[asset.type] || "•" }),
      el("span", { class: "name depth-" + Math.min(asset.depth, 3), text: asset.name }),
      el("span", { class: "type", text: asset.type }),
      button);
    list.append(row);
  }
  const resource = document.getElementById("webhook-resource");
  for (const asset of state.project.assets) {
    resource.append(el("option", { value: asset.id + "|" + asset.type, text: asset.name + " (" + asset.type + ")" }));
  }
}

function openMenu(asset, row) {
  closeMenus();
  const menu = el("div", { class: "menu", role: "menu" }, el("div", { class: "heading", text: "Custom actions" }));
  const actions = state.manifest.actions.filter((action) => offered(action, asset.type));
  if (actions.length === 0) menu.append(el("div", { class: "empty", text: "No actions for a " + asset.type }));
  for (const action of actions) {
    menu.append(el("button", {
      type: "button", role: "menuitem", class: "menu-item", "data-event": action.event,
      title: action.description || action.name,
      onclick: (event) => { event.stopPropagation(); closeMenus(); runAction(action, asset, null, null); },
    }, action.name));
  }
  row.append(menu);
}

async function runAction(action, asset, interactionId, data) {
  try {
    const result = await api("/api/action", {
      event: action.event, resource_id: asset.id, resource_type: asset.type,
      interaction_id: interactionId, data: data,
    });
    await refreshLog();
    showAnswer(action, asset, result.interaction_id, result.entry);
  } catch (error) {
    showDialog("Simulator error", String(error.message || error));
  }
}

function showAnswer(action, asset, interactionId, entry) {
  if (entry.error) return showDialog("Delivery failed", entry.error);
  let answer = null;
  try { answer = JSON.parse(entry.response_body); } catch (_) { answer = null; }
  if (answer && typeof answer === "object" && typeof answer.title === "string") {
    if (Array.isArray(answer.fields)) {
      current = { action, asset, interaction_id: interactionId, fields: answer.fields };
      return showForm(answer);
    }
    return showDialog(answer.title, answer.description || "");
  }
  showDialog("HTTP " + entry.status + " " + entry.reason, entry.response_body || "(empty answer: the action closed without a message)");
}

function showDialog(title, description) {
  current = null;
  document.getElementById("dialog").dataset.kind = "message";
  document.getElementById("dialog-title").textContent = title;
  document.getElementById("dialog-description").textContent = description;
  const form = document.getElementById("dialog-form");
  form.replaceChildren();
  form.hidden = true;
  document.getElementById("form-submit").hidden = true;
  document.getElementById("overlay").hidden = false;
}

function showForm(answer) {
  document.getElementById("dialog").dataset.kind = "form";
  document.getElementById("dialog-title").textContent = answer.title;
  document.getElementById("dialog-description").textContent = answer.description || "";
  const form = document.getElementById("dialog-form");
  form.replaceChildren();
  for (const field of answer.fields) {
    const id = "field-" + field.name;
    if (field.type === "checkbox" || field.type === "boolean") {
      const box = el("input", { type: "checkbox", id, name: field.name });
      box.checked = field.value === true || field.value === "true" || field.value === "on";
      form.append(el("label", { class: "checkbox", for: id }, box, field.label));
    } else if (field.type === "link") {
      form.append(el("label", { text: field.label }),
        el("a", { href: String(field.value || "#"), target: "_blank", rel: "noopener noreferrer", "data-name": field.name, text: String(field.value || "") }));
    } else if (field.type === "select") {
      const select = el("select", { id, name: field.name });
      for (const option of field.options || []) {
        const node = el("option", { value: option.value, text: option.name });
        if (option.value === field.value) node.selected = true;
        select.append(node);
      }
      form.append(el("label", { for: id, text: field.label }), select);
    } else if (field.type === "textarea") {
      const area = el("textarea", { id, name: field.name });
      area.value = field.value == null ? "" : String(field.value);
      form.append(el("label", { for: id, text: field.label }), area);
    } else {
      const input = el("input", { type: "text", id, name: field.name });
      input.value = field.value == null ? "" : String(field.value);
      form.append(el("label", { for: id, text: field.label }), input);
    }
  }
  form.hidden = false;
  document.getElementById("form-submit").hidden = false;
  document.getElementById("overlay").hidden = false;
}

function submitForm() {
  if (!current) return;
  const data = {};
  for (const field of current.fields) {
    if (field.type === "link") continue;
    const input = document.getElementById("field-" + field.name);
    if (!input) continue;
    data[field.name] = (field.type === "checkbox" || field.type === "boolean") ? input.checked : input.value;
  }
  const { action, asset, interaction_id } = current;
  document.getElementById("overlay").hidden = true;
  runAction(action, asset, interaction_id, data);
}

async function fireWebhook() {
  const eventType = document.getElementById("webhook-event").value;
  const [resourceId, resourceType] = (document.getElementById("webhook-resource").value || "|").split("|");
  const result = document.getElementById("webhook-result");
  try {
    const answer = await api("/api/webhook", { event_type: eventType, resource_id: resourceId || null, resource_type: resourceType || null });
    const entry = answer.entry;
    result.textContent = entry.error ? entry.error : eventType + " → " + entry.status + " " + entry.reason;
  } catch (error) {
    result.textContent = String(error.message || error);
  }
  await refreshLog();
}

function pre(text) {
  let shown = text;
  try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON: as is */ }
  return el("pre", { text: shown });
}

async function refreshLog() {
  const entries = await api("/api/log");
  const body = document.querySelector("#log tbody");
  body.replaceChildren();
  for (const entry of entries.slice().reverse()) {
    const ok = entry.status !== null && entry.status >= 200 && entry.status < 300;
    const status = entry.error ? "error" : entry.status + " " + entry.reason;
    body.append(el("tr", { "data-event": entry.event_type },
      el("td", { text: String(entry.id) }),
      el("td", { text: entry.kind }),
      el("td", { class: "event", text: entry.event_type }),
      el("td", { class: "status " + (ok ? "ok" : "bad"), text: status }),
      el("td", { text: entry.latency_ms.toFixed(1) + " ms" }),
      el("td", {},
        el("details", {}, el("summary", { text: "request" }), pre(entry.request_body)),
        el("details", {}, el("summary", { text: "response" }), pre(entry.error || entry.response_body)))));
  }
}

async function start() {
  state = await api("/api/state");
  document.getElementById("app-url").textContent = state.app_url;
  document.getElementById("project-title").textContent = "Project: " + state.project.name;
  const select = document.getElementById("webhook-event");
  const events = state.webhook_events.slice();
  for (const event of state.manifest.webhook_events) if (!events.includes(event)) events.push(event);
  for (const event of events) {
    const handled = state.manifest.webhook_events.includes(event);
    select.append(el("option", { value: event, text: event + (handled ? "  ✓ handled" : "") }));
  }
  const first = state.manifest.webhook_events[0];
  if (first) select.value = first;
  renderAssets();
  document.getElementById("webhook-fire").addEventListener("click", fireWebhook);
  document.getElementById("dialog-close").addEventListener("click", () => { document.getElementById("overlay").hidden = true; current = null; });
  document.getElementById("form-submit").addEventListener("click", submitForm);
  document.addEventListener("click", closeMenus);
  await refreshLog();
  document.body.dataset.ready = "true";
}

start().catch((error) => { document.body.dataset.ready = "error"; showDialog("Simulator error", String(error.message || error)); });
