// Small progressive enhancements; every page works without this file.
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// The setup wizard shows the `.local` name as it is typed; back at the name it had, the name the LAN knows now
// (the page's, which may be `<name>-2.local` when another device had the name first).
document.addEventListener("input", (event) => {
  const field = event.target;
  const shown = field instanceof HTMLInputElement && field.dataset.showsLocalName
    ? document.getElementById(field.dataset.showsLocalName) : null;
  if (shown) {
    shown.dataset.known ||= shown.textContent;
    shown.textContent = field.value === field.defaultValue ? shown.dataset.known : `${field.value || "…"}.local`;
  }
});

// A form sent after the session ended comes back filled in after the next sign-in: what was typed (never a
// password, never the hidden token) waits in this tab's sessionStorage for at most half an hour.
const SIGNING_IN = "homeport.signing-in";
const SAVED_FORM = "homeport.form:";
const KEEP_MS = 30 * 60 * 1000;

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || event.defaultPrevented || form.method.toLowerCase() !== "post") {
    return;
  }
  const fields = {};
  for (const element of form.elements) {
    if (!element.name || element.type === "password" || element.type === "hidden" || element.type === "file") {
      continue;
    }
    if ((element.type === "checkbox" || element.type === "radio") && !element.checked) {
      continue;
    }
    (fields[element.name] ||= []).push(element.value);
  }
  try {
    sessionStorage.setItem(SAVED_FORM + form.getAttribute("action"), JSON.stringify({ at: Date.now(), fields }));
  } catch {
    // storage full or disabled: the form still works, it just cannot come back
  }
});

function restoreForms() {
  const params = new URLSearchParams(window.location.search);
  if (window.location.pathname === "/login") {
    sessionStorage.setItem(SIGNING_IN, "1");
    return; // keep them for the page after sign-in
  }
  // Only the first page after the sign-in page gets a form back: any other page came from an answered post
  // (its outcome shown however the page shows it, e.g. the Notifications test result), not a lost one.
  const afterSignIn = sessionStorage.getItem(SIGNING_IN) === "1";
  sessionStorage.removeItem(SIGNING_IN);
  const answered = !afterSignIn || params.has("done") || params.has("failed");
  for (const key of Object.keys(sessionStorage)) {
    if (!key.startsWith(SAVED_FORM)) {
      continue;
    }
    const saved = JSON.parse(sessionStorage.getItem(key) || "{}");
    const form = document.querySelector(`form[action="${CSS.escape(key.slice(SAVED_FORM.length))}"]`);
    if (!answered && form && Date.now() - (saved.at || 0) < KEEP_MS) {
      for (const [name, values] of Object.entries(saved.fields || {})) {
        for (const element of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
          if (element.type === "checkbox" || element.type === "radio") {
            element.checked = values.includes(element.value);
          } else if (element.type !== "password" && element.type !== "hidden") {
            element.value = values[0];
          }
        }
      }
      const notice = document.querySelector("[data-testid=restored-form]");
      if (notice) {
        notice.hidden = false;
      }
    }
    if (answered || form || Date.now() - (saved.at || 0) >= KEEP_MS) {
      sessionStorage.removeItem(key);
    }
  }
}

// Warn before an idle sign-out, and let the owner stay (any signed-in request counts as activity).
function watchIdle() {
  const idleSeconds = Number(document.body.dataset.idleSeconds || 0);
  const warning = document.querySelector("[data-testid=idle-warning]");
  if (!idleSeconds || !warning) {
    return;
  }
  const warnSeconds = Math.min(120, idleSeconds / 3);
  let timer = 0;
  const arm = () => {
    warning.hidden = true;
    window.clearTimeout(timer);
    timer = window.setTimeout(() => { warning.hidden = false; }, (idleSeconds - warnSeconds) * 1000);
  };
  warning.querySelector("[data-stay-signed-in]")?.addEventListener("click", () => {
    fetch("/api/v1/me", { credentials: "same-origin" }).then((answer) => {
      if (answer.ok) {
        arm();
      } else {
        window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname) + "&done=expired");
      }
    });
  });
  arm();
}

document.addEventListener("DOMContentLoaded", () => {
  restoreForms();
  watchIdle();
});

// The overview's health panel refreshes itself; marked as a background call, so it never keeps a session alive.
function formatSize(bytes) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let amount = bytes;
  for (const unit of units) {
    if (amount < 1024 || unit === "TiB") {
      return unit === "B" ? `${amount} B` : `${amount.toFixed(1)} ${unit}`;
    }
    amount /= 1024;
  }
  return `${bytes} B`;
}

function formatDuration(seconds) {
  const minutes = Math.floor(seconds / 60);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days) {
    return `${days} day${days > 1 ? "s" : ""} ${hours} h`;
  }
  return hours ? `${hours} h ${minutes % 60} min` : `${minutes % 60} min`;
}

function refreshHealth() {
  const panel = document.querySelector("[data-health-refresh]");
  if (!panel) {
    return;
  }
  const show = (name, text) => {
    const field = panel.querySelector(`[data-health="${name}"]`);
    if (field) {
      field.textContent = text;
    }
  };
  const update = async () => {
    const answer = await fetch("/api/v1/system/health", { headers: { "X-Homeport-Background": "1" } });
    if (!answer.ok) {
      return;
    }
    const health = await answer.json();
    show("uptime", formatDuration(health.uptime_seconds));
    show("load", `${health.load.map((l) => l.toFixed(2)).join(" · ")} (${health.cpus} CPU${health.cpus > 1 ? "s" : ""})`);
    show("memory", `${formatSize(health.memory_total_bytes - health.memory_available_bytes)} of ${formatSize(health.memory_total_bytes)} in use`);
    show("temperatures", health.temperatures.length
      ? health.temperatures.map((t) => `${t.sensor} ${Math.round(t.celsius)} °C`).join(", ")
      : "not reported by this hardware");
    panel.dataset.refreshedAt = String(Date.now());
  };
  window.setInterval(() => { update().catch(() => {}); }, Number(panel.dataset.healthRefresh) * 1000);
}

document.addEventListener("DOMContentLoaded", refreshHealth);

// The Security Advisor's "this browser trusts the device" check, which only the browser can make: the server sees
// a TLS connection, never whether the browser trusted the certificate or someone clicked through a warning.
// Marked "pass" when the page came over HTTPS in a secure context and a fetch to its own origin succeeded, so this
// browser accepted the certificate for this page. Limits: a browser where a certificate warning was clicked
// through also loads the page and may still report a secure context (Chrome keeps such an exception for a
// while), so this is "looks trusted", not proof; passkeys refuse such pages, and are the real test.
function checkBrowserTrust() {
  const row = document.querySelector("[data-browser-check=https]");
  const tag = row?.querySelector("[data-verdict-tag]");
  const said = row?.querySelector("[data-browser-said]");
  if (!row || !tag || !said) {
    return;
  }
  const show = (verdict, text) => {
    row.dataset.verdict = verdict;
    tag.textContent = verdict;
    tag.className = `tag verdict-${verdict}`;
    said.textContent = text;
    said.hidden = false;
  };
  if (window.location.protocol !== "https:" || !window.isSecureContext) {
    show("warn", `This browser: the page came without HTTPS; open https://${row.dataset.host} instead.`);
    return;
  }
  fetch("/api/v1/system", { headers: { "X-Homeport-Background": "1" }, cache: "no-store" })
    .then((answer) => {
      if (answer.ok) {
        show("pass", "This browser: it reached the console over HTTPS and accepted the certificate (unless a "
          + "warning was clicked through before; a passkey sign-in would then fail).");
      }
    })
    .catch(() => {
      show("warn", "This browser: a request to the console over HTTPS failed; install the authority below.");
    });
}

document.addEventListener("DOMContentLoaded", checkBrowserTrust);

// Recovery codes: a print button where the page offers one.
document.addEventListener("click", (event) => {
  const target = event.target;
  if (target instanceof HTMLElement && target.closest("[data-print]")) window.print();
});
