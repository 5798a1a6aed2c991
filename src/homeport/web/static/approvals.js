// Sign-in approval, live. On every signed-in console page: the account's event stream (/api/v1/me/events)
// shows a dialog for each sign-in waiting for approval (pick the number that browser shows, or "This wasn't
// me") and a notice when the account's sign-in methods change. On the second-step page: follows this
// browser's request and completes the sign-in once it is approved. Every page works without this file.
"use strict";

(() => {
  const csrfToken = () => document.querySelector('.who input[name="csrf_token"]')?.value || "";

  // --- the waiting browser -----------------------------------------------------------------------------------
  function followWaiting(step) {
    const status = step.querySelector("[data-approval-status]");
    const finish = step.querySelector("form[data-approval-finish]");
    if (!finish) {
      return;
    }
    if (step.dataset.state === "approved") {
      finish.requestSubmit();
      return;
    }
    const stream = new EventSource("/api/v1/auth/approval/events");
    stream.addEventListener("state", (event) => {
      const state = JSON.parse(event.data);
      if (state.state === "none" || state.state === "pending") {
        return;
      }
      if (status) {
        status.textContent = state.message;
      }
      step.dataset.state = state.state;
      stream.close();
      if (state.state === "approved") {
        finish.requestSubmit();
      } else {
        window.setTimeout(() => window.location.reload(), 1500); // the page then offers to ask again
      }
    });
  }

  // --- every signed-in page ----------------------------------------------------------------------------------
  const open = new Map(); // request id -> dialog

  function notice(message, kind) {
    let box = document.querySelector(".live-notices");
    if (!box) {
      box = document.createElement("div");
      box.className = "live-notices";
      document.body.append(box);
    }
    const item = document.createElement("p");
    item.className = `notice ${kind === "report" ? "bad" : "warn"}`;
    item.setAttribute("role", "alert");
    item.dataset.testid = "live-notice";
    item.textContent = message + " ";
    const close = document.createElement("button");
    close.type = "button";
    close.className = "link";
    close.textContent = "Dismiss";
    close.addEventListener("click", () => item.remove());
    item.append(close);
    box.append(item);
  }

  async function answer(path, body) {
    const response = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    return response.ok ? data.message : (data.error?.message || "That did not work; try again from the console.");
  }

  function element(tag, text, attributes = {}) {
    const made = document.createElement(tag);
    if (text) {
      made.textContent = text;
    }
    for (const [name, value] of Object.entries(attributes)) {
      made.setAttribute(name, value);
    }
    return made;
  }

  function showRequest(request) {
    if (open.has(request.id) || document.querySelector(`[data-approve-request="${CSS.escape(request.id)}"]`)) {
      return; // already shown (this page is its approve page, or a reconnect sent it again)
    }
    const dialog = element("dialog", "", { class: "approval-dialog", "data-testid": "approval-dialog" });
    // 24-hour time, as every other time in the console is written.
    const when = new Date(request.requested_at * 1000).toLocaleTimeString([], { hour12: false });
    dialog.append(
      element("h2", "Is this you signing in?"),
      element("p", `A sign-in to ${request.account} from ${request.client} (${request.browser}) at ${when} waits `
        + "for your approval. If it is you, pick the number that browser shows:"),
    );
    const choices = element("div", "", { class: "approval-choices" });
    const result = element("p", "", { role: "status", "data-testid": "approval-result" });
    const buttons = [];
    const done = (message) => {
      result.textContent = message;
      buttons.forEach((button) => { button.disabled = true; });
      window.setTimeout(() => close(request.id), 2500);
    };
    for (const number of request.choices) {
      const button = element("button", String(number), { type: "button", class: "choice", "data-number": number });
      button.addEventListener("click", async () => {
        done(await answer(`/api/v1/me/approvals/${encodeURIComponent(request.id)}`, { number }));
      });
      buttons.push(button);
      choices.append(button);
    }
    const notMe = element("button", "This wasn't me", { type: "button", class: "danger", "data-testid": "not-me" });
    notMe.addEventListener("click", async () => {
      done(await answer(`/api/v1/me/approvals/${encodeURIComponent(request.id)}/deny`, { report: true }));
    });
    // The first focus goes to "Not now": Enter on an unread dialog must not pick a number.
    const later = element("button", "Not now", { type: "button", class: "link", autofocus: "" });
    later.addEventListener("click", () => close(request.id));
    buttons.push(notMe);
    dialog.append(choices, notMe, document.createTextNode(" "), later, result);
    document.body.append(dialog);
    open.set(request.id, dialog);
    dialog.showModal();
    window.setTimeout(() => close(request.id), Math.max(1, request.expires_in) * 1000);
  }

  function close(id) {
    const dialog = open.get(id);
    if (dialog) {
      open.delete(id);
      dialog.close();
      dialog.remove();
    }
  }

  function listen() {
    const stream = new EventSource("/api/v1/me/events");
    stream.addEventListener("approval", (event) => showRequest(JSON.parse(event.data)));
    stream.addEventListener("approval_closed", (event) => {
      const closed = JSON.parse(event.data);
      const dialog = open.get(closed.id);
      const result = dialog?.querySelector('[data-testid="approval-result"]');
      if (dialog && result && !result.textContent) {
        result.textContent = closed.state === "approved" ? "Approved elsewhere." : "No longer waiting.";
        window.setTimeout(() => close(closed.id), 1500);
      }
    });
    stream.addEventListener("notice", (event) => {
      const data = JSON.parse(event.data);
      notice(data.message, data.kind);
    });
    stream.addEventListener("error", () => {
      if (stream.readyState === EventSource.CLOSED) { // refused (too many open pages) or signed out: ask now and then
        window.setTimeout(poll, 15000);
      }
    });
  }

  async function poll() {
    const response = await fetch("/api/v1/me/approvals", { headers: { "X-Homeport-Background": "1" } });
    if (!response.ok) {
      return; // signed out: nothing to approve from here
    }
    (await response.json()).forEach(showRequest);
    window.setTimeout(poll, 15000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const step = document.querySelector("[data-approval-step]");
    if (step) {
      followWaiting(step);
    }
    if (document.body.dataset.idleSeconds && typeof EventSource === "function") {
      listen(); // a signed-in page (not one that may only change its password)
    }
  });
})();
