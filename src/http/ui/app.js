// jpki-mock dashboard: sends each form to the admin API and shows the answer or the
// API's error on the page (next to the field it names, when it names one). No library.
"use strict";

const api = document.body.dataset.api;
const ui = document.body.dataset.ui;

// A form's fields as the JSON body the admin API takes: empty fields left out,
// numbers as numbers, checkboxes of one name as a list (a `data-boolean` one as
// true or false).
function body(form) {
  const out = {};
  for (const field of form.elements) {
    if (!field.name || field.disabled) continue;
    if (field.type === "checkbox" && "boolean" in field.dataset) {
      out[field.name] = field.checked;
      continue;
    }
    if (field.type === "checkbox") {
      (out[field.name] ||= []);
      if (field.checked) out[field.name].push(field.value);
      continue;
    }
    const value = field.value.trim();
    if (value === "") continue;
    // A fault's HTTP status is a number; its OCSP status is a name.
    const numeric = field.type === "number" || (field.name === "status" && /^\d+$/.test(value));
    out[field.name] = numeric ? Number(value) : value;
  }
  return out;
}

function show(form, text, isError) {
  const result = form.querySelector(".result");
  const error = form.querySelector(".error");
  for (const place of form.querySelectorAll(".field-error")) place.textContent = "";
  if (result) result.textContent = isError ? "" : text;
  if (error) error.textContent = isError ? text : "";
}

// The error place of the field an API message names ("birth: …", "missing field
// `name`"), if it is one of the form's (`#error-NAME`, or `data-for="NAME"`).
function namedField(form, message) {
  const match = /^([a-z_]+): /.exec(message) || /`([a-z_]+)`/.exec(message);
  return match && form.querySelector(`#error-${match[1]}, .field-error[data-for="${match[1]}"]`);
}

async function send(form) {
  let path = form.dataset.path;
  let payload = body(form);
  if (form.id === "cause-form") {
    const fixed = selectedCause(form).dataset.fixed;
    if (fixed) delete payload.certs;
  }
  if (form.dataset.append) {
    // PUT replaces the list: send the faults in force with the new one.
    payload = JSON.parse(form.dataset.current).concat([payload]);
  }
  const method = form.dataset.method;
  const init = { method, headers: {}, credentials: "same-origin" };
  if (method !== "DELETE" && method !== "GET") {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(payload);
  }
  let response, answer;
  try {
    response = await fetch(api + path, init);
    const text = await response.text();
    answer = text ? JSON.parse(text) : {};
  } catch (e) {
    show(form, `The request failed: ${e.message}`, true);
    return;
  }
  if (!response.ok) {
    const message = answer.message || `HTTP ${response.status}`;
    const place = namedField(form, message);
    show(form, `${response.status} ${answer.error || ""}: ${message}`, true);
    if (place) place.textContent = message;
    return;
  }
  after(form, answer);
}

function after(form, answer) {
  switch (form.dataset.then) {
    case "issued":
      location.assign(`${ui}?issued=${answer.card_id}`);
      break;
    case "card":
      location.assign(`${ui}/cards/${answer.card_id}`);
      break;
    case "clock": {
      const from = document.querySelector("#virtual-now time").getAttribute("datetime");
      location.assign(`${ui}/clock?from=${encodeURIComponent(from)}`);
      break;
    }
    case "message":
      show(form, `Done: ${JSON.stringify(answer)}`, false);
      break;
    case "resumed": {
      // A resumed phone: the auth hold lifted, the signing certificate re-issued.
      const lifted = (answer.lifted || []).join(", ") || "nothing";
      sessionStorage.setItem("jpki-mock-flash",
        `Resumed: re-issued signing certificate ${answer.sign.serial}; hold lifted on ${lifted}.`);
      location.reload();
      break;
    }
    default: {
      const issued = ["sign", "auth"].filter(k => answer[k] && answer[k].serial)
        .map(k => `${k} ${answer[k].serial}`);
      const made = issued.length ? ` Issued: ${issued.join(", ")}.` : "";
      const revoked = answer.revoked ? ` Revoked: ${answer.revoked.map(r => `${r.serial} (${r.reason})`).join(", ") || "nothing"}.` : "";
      sessionStorage.setItem("jpki-mock-flash", `Done.${made}${revoked}`);
      location.reload();
    }
  }
}

function selectedCause(form) {
  const select = form.querySelector("#cause");
  return select.options[select.selectedIndex];
}

// What the chosen cause will revoke, before it is applied, as the authority decides
// it (Cause::reaches): the good current certificates of the kinds the cause targets,
// on the carriers it reaches: a card cause the card's, a phone cause that phone's
// (the platform chosen), a change of name or address or emigration every signing
// certificate, card and phones alike.
function preview(form) {
  const option = selectedCause(form);
  const { fixed, reach } = option.dataset;
  const boxes = form.querySelector("#cause-certs");
  boxes.hidden = Boolean(fixed);
  const platform = form.querySelector("#cause-platform");
  const phoneCause = reach === "phone";
  platform.disabled = !phoneCause;
  platform.setAttribute("aria-required", String(phoneCause));
  const place = form.querySelector("#cause-preview");
  if (phoneCause && !platform.value) {
    place.textContent = "Choose the phone's platform: this cause reaches that phone's two certificates only.";
    return;
  }
  const kinds = fixed ? fixed.split(" ")
    : [...boxes.querySelectorAll("input:checked")].map(b => b.value);
  const names = { sign: "signing", auth: "authentication" };
  const carriers = { android: "Android phone ", ios: "iOS phone " };
  const reached = JSON.parse(form.dataset.live || "[]").filter(c => kinds.includes(c.kind)
    && (c.carrier === "card" ? reach !== "phone"
      : reach === "every" || (reach === "phone" && c.carrier === platform.value)));
  const live = reached.map(c => `${carriers[c.carrier] || ""}${names[c.kind]} ${c.serial}`);
  place.textContent = live.length
    ? `Will revoke: ${live.join(", ")}.` : "Will revoke nothing: no good certificate of that kind.";
}

for (const form of document.querySelectorAll("form[data-path]")) {
  form.addEventListener("submit", event => {
    event.preventDefault();
    send(form);
  });
}

const causeForm = document.querySelector("#cause-form");
if (causeForm) {
  causeForm.addEventListener("change", () => preview(causeForm));
  preview(causeForm);
}

const flash = sessionStorage.getItem("jpki-mock-flash");
if (flash) {
  sessionStorage.removeItem("jpki-mock-flash");
  const note = document.createElement("p");
  note.className = "result";
  note.setAttribute("role", "status");
  note.id = "flash";
  note.textContent = flash;
  document.querySelector("main h1").after(note);
}

// The request log's live tail (this page only): polls, never holds a connection.
const live = document.querySelector("#live");
if (live) {
  const serial = document.querySelector("#serial").value.trim();
  const tbody = document.querySelector("#requests tbody");
  const count = document.querySelector("#requests-count");
  const cell = text => { const td = document.createElement("td"); td.textContent = text; return td; };
  const jst = iso => new Date(iso).toLocaleString("sv-SE", { timeZone: "Asia/Tokyo" }) + " JST";
  async function refresh() {
    if (!live.checked) return;
    const query = serial ? `?serial=${encodeURIComponent(serial)}` : "";
    try {
      const response = await fetch(`${api}/requests${query}`, { credentials: "same-origin" });
      if (!response.ok) return;
      const records = (await response.json()).requests.reverse();
      tbody.replaceChildren(...records.map(r => {
        const tr = document.createElement("tr");
        const ids = (r.cert_ids || []).map(i => `${i.hash_algorithm} ${i.serial ?? "?"} (${i.issuer ?? "not ours"})`).join(" ");
        const nonce = r.nonce === undefined || r.nonce === null ? "" : (r.nonce ? "yes" : "no");
        const answer = (r.ocsp_status || "") + (r.cert_statuses ? " " + r.cert_statuses.join(", ") : "");
        tr.append(cell(jst(r.time)), cell(`${r.method} ${r.path}`), cell(ids), cell(nonce), cell(answer), cell(String(r.http_status)));
        return tr;
      }));
      count.textContent = `${records.length} requests.`;
    } catch (e) {
      count.textContent = `Cannot refresh: ${e.message}`;
    }
  }
  setInterval(refresh, 1000);
}
