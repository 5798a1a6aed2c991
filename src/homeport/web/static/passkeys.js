// Passkeys and security keys (WebAuthn): the browser's half of each ceremony. The server gives the options
// (binary fields in base64url), the browser asks the authenticator, and the answer goes back as JSON. Pages that
// cannot use passkeys (opened on an address) show a link to the device's name instead of these buttons.
"use strict";

(() => {
  const supported = () => Boolean(window.PublicKeyCredential && navigator.credentials && window.isSecureContext);

  function toBuffer(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    const raw = atob(base64);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i += 1) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toText(buffer) {
    const bytes = new Uint8Array(buffer);
    let raw = "";
    for (const byte of bytes) {
      raw += String.fromCharCode(byte);
    }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  const descriptors = (list) => (list || []).map((c) => ({ ...c, id: toBuffer(c.id) }));

  function creationOptions(options) {
    return {
      ...options,
      challenge: toBuffer(options.challenge),
      user: { ...options.user, id: toBuffer(options.user.id) },
      excludeCredentials: descriptors(options.excludeCredentials),
    };
  }

  function requestOptions(options) {
    return { ...options, challenge: toBuffer(options.challenge), allowCredentials: descriptors(options.allowCredentials) };
  }

  // The credential as `PublicKeyCredential.toJSON()` writes it (not every browser has that method yet).
  function answer(credential) {
    const response = credential.response;
    const json = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      response: { clientDataJSON: toText(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      json.response.attestationObject = toText(response.attestationObject);
      json.response.transports = typeof response.getTransports === "function" ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toText(response.authenticatorData);
      json.response.signature = toText(response.signature);
      if (response.userHandle && response.userHandle.byteLength) {
        json.response.userHandle = toText(response.userHandle);
      }
    }
    return json;
  }

  class Refused extends Error {
    constructor(message, fields) {
      super(message);
      this.fields = fields || {};
    }
  }

  async function post(url, body, csrf) {
    const headers = { "Content-Type": "application/json" };
    if (csrf) {
      headers["X-CSRF-Token"] = csrf;
    }
    const reply = await fetch(url, { method: "POST", headers, body: JSON.stringify(body), credentials: "same-origin" });
    const json = await reply.json().catch(() => ({}));
    if (!reply.ok) {
      const error = json.error || {};
      throw new Refused(error.message || `The device answered ${reply.status}; try again.`, error.fields);
    }
    return json;
  }

  // What the browser says when the owner cancels, or the authenticator refuses (no PIN, no fingerprint).
  function explain(error) {
    if (error instanceof Refused) {
      const fields = Object.values(error.fields);
      return fields.length ? `${error.message} ${fields.join(" ")}` : error.message;
    }
    if (error && error.name === "NotAllowedError") {
      return "The passkey was not used: the request was cancelled, timed out, or the authenticator did not verify "
        + "you. Try again.";
    }
    if (error && error.name === "InvalidStateError") {
      return "This authenticator holds a passkey for your account already.";
    }
    if (error && error.name === "SecurityError") {
      return "This browser refuses passkeys on this address: open the console at the device's .local name.";
    }
    return `The passkey could not be used (${(error && error.message) || error}).`;
  }

  // Only a path on this device (the server checks it too): nothing a URL parser could turn into another host.
  function samePath(next) {
    return typeof next === "string" && /^\/(?!\/)[^\\\s\x00-\x1f\x7f]*$/.test(next) ? next : "/";
  }

  // One ceremony behind a button; a failure is shown in the box's [data-passkey-error], and the button works again.
  function ceremony(button, box, run) {
    const shown = box.querySelector("[data-passkey-error]");
    button.addEventListener("click", async (event) => {
      event.preventDefault();
      if (!supported()) {
        shown.textContent = "This browser cannot use passkeys here.";
        shown.hidden = false;
        return;
      }
      button.disabled = true;
      shown.hidden = true;
      try {
        const done = await run();
        window.location.assign(samePath(done.next));
      } catch (error) {
        shown.textContent = explain(error);
        shown.hidden = false;
        button.disabled = false;
      }
    });
  }

  const csrfOf = (box) => box.querySelector("input[name=csrf_token]")?.value || "";

  function signIn() {
    const box = document.querySelector("[data-passkey-sign-in]");
    const button = box?.querySelector("[data-passkey-sign-in-begin]");
    if (!box || !button) {
      return;
    }
    ceremony(button, box, async () => {
      const begun = await post("/login/passkey/begin", {});
      const credential = await navigator.credentials.get({ publicKey: requestOptions(begun.options) });
      return post("/login/passkey/finish", { credential: answer(credential), next: box.dataset.next || "/" });
    });
  }

  function secondStep() {
    const box = document.querySelector("[data-passkey-second-step]");
    const button = box?.querySelector("[data-passkey-begin]");
    if (!box || !button) {
      return;
    }
    ceremony(button, box, async () => {
      const begun = await post("/login/second-step/passkey/begin", {});
      const credential = await navigator.credentials.get({ publicKey: requestOptions(begun.options) });
      const remember = Boolean(box.querySelector("input[name=remember]")?.checked);
      return post("/login/second-step/passkey/finish", { credential: answer(credential), remember });
    });
  }

  async function create(beginUrl, finishUrl, beginBody, name, csrf) {
    const begun = await post(beginUrl, beginBody, csrf);
    const credential = await navigator.credentials.create({ publicKey: creationOptions(begun.options) });
    return post(finishUrl, { name, credential: answer(credential) }, csrf);
  }

  function enrol() {
    const box = document.querySelector("[data-passkey-enrol]");
    const button = box?.querySelector("[data-passkey-enrol-begin]");
    if (!box || !button || !supported()) {
      return;
    }
    box.hidden = false;
    ceremony(button, box, () => {
      const name = box.querySelector("input[name=passkey_name]")?.value.trim() || "Passkey";
      return create("/login/enrol/passkey/begin", "/login/enrol/passkey/finish", {}, name);
    });
  }

  function addToAccount() {
    const box = document.querySelector("[data-passkey-add]");
    const button = box?.querySelector("[data-passkey-add-begin]");
    if (!box || !button) {
      return;
    }
    ceremony(button, box, () => {
      const name = box.querySelector("input[name=name]").value.trim();
      if (!name) {
        throw new Refused("Give the passkey a name first (e.g. 'Laptop'), so you can tell it from others later.");
      }
      const password = box.querySelector("input[name=current_password]").value;
      const body = password ? { current_password: password } : {};
      return create("/account/passkeys/begin", "/account/passkeys/finish", body, name, csrfOf(box));
    });
  }

  // "Use my passkey instead" of typing the password again before a change of sign-in methods.
  function proveWithPasskey() {
    const box = document.querySelector("[data-passkey-proof]");
    const button = box?.querySelector("[data-passkey-proof-begin]");
    if (!box || !button || !supported()) {
      return;
    }
    box.hidden = false;
    ceremony(button, box, async () => {
      const begun = await post("/account/passkeys/proof/begin", {}, csrfOf(box));
      const credential = await navigator.credentials.get({ publicKey: requestOptions(begun.options) });
      return post("/account/passkeys/proof/finish", { credential: answer(credential) }, csrfOf(box));
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    proveWithPasskey();
    signIn();
    secondStep();
    enrol();
    addToAccount();
  });
})();
