// System > Updates: upload a release from this computer. Every request body is capped at 256 KiB, so the file is
// sliced and sent in chunks (PUT /api/v1/updates/uploads/{id} with X-Upload-Offset); when the server answers 409
// it says where it is (a chunk lost, or sent twice) and the upload resumes there. Once the last chunk is in, the
// page reloads and offers the uploaded release in the update form. Without this file the path form still works.
"use strict";

(() => {
  const API = "/api/v1/updates/uploads";
  const RETRIES = 5; // per chunk, for a dropped link; a refusal (4xx other than 409) stops at once

  const csrfToken = () => document.querySelector('.who input[name="csrf_token"]')?.value || "";

  async function problem(answer) {
    try {
      const body = await answer.json();
      return body.error?.message || `The device answered ${answer.status}.`;
    } catch {
      return `The device answered ${answer.status}.`;
    }
  }

  async function begin(file) {
    const answer = await fetch(API, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify({ name: file.name, size: file.size }),
    });
    if (!answer.ok) {
      throw new Error(await problem(answer));
    }
    return answer.json();
  }

  // Sends the chunk at `offset`; returns where the next one starts (the server's word after a 409).
  async function send(id, file, offset, chunkSize) {
    const chunk = file.slice(offset, Math.min(offset + chunkSize, file.size));
    const answer = await fetch(`${API}/${encodeURIComponent(id)}`, {
      method: "PUT",
      headers: {
        "Content-Type": "application/octet-stream",
        "X-CSRF-Token": csrfToken(),
        "X-Upload-Offset": String(offset),
      },
      body: chunk,
    });
    if (answer.status === 409 && answer.headers.has("X-Upload-Offset")) {
      return { next: Number(answer.headers.get("X-Upload-Offset")), done: false };
    }
    if (!answer.ok) {
      const error = new Error(await problem(answer));
      error.final = true;
      throw error;
    }
    const state = await answer.json();
    return { next: state.received, done: state.finished };
  }

  async function upload(form, file) {
    const status = form.querySelector("[data-upload-status]");
    const progress = form.querySelector("[data-upload-progress]");
    const button = form.querySelector("button[type=submit]");
    const say = (text, bad) => {
      status.textContent = text;
      status.classList.toggle("field-error", Boolean(bad));
      status.classList.toggle("muted", !bad);
    };
    button.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    try {
      say(`Starting the upload of ${file.name}…`);
      const started = await begin(file);
      const chunkSize = Math.min(Number(form.dataset.chunk) || started.chunk_size, started.chunk_size);
      let offset = 0;
      let failures = 0;
      let done = false;
      while (!done) {
        try {
          const sent = await send(started.id, file, offset, chunkSize);
          offset = sent.next;
          done = sent.done;
          failures = 0;
        } catch (error) {
          failures += 1;
          if (error.final || failures > RETRIES) {
            throw error;
          }
          say(`The link dropped; trying again (${failures} of ${RETRIES})…`);
          await new Promise((resolve) => window.setTimeout(resolve, 1000 * failures));
          continue;
        }
        progress.value = Math.floor((100 * offset) / file.size);
        say(done ? "Checking the release…" : `Uploading ${file.name}: ${progress.value}%`);
      }
      say("The release is uploaded.");
      window.location.assign("/system/updates?done=release-uploaded");
    } catch (error) {
      say(`The upload failed: ${error.message}`, true);
      button.disabled = false;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const card = document.querySelector("[data-upload]");
    const form = card?.querySelector("form[data-upload-form]");
    if (!form) {
      return;
    }
    card.hidden = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const file = form.querySelector('input[type="file"]').files[0];
      if (file) {
        upload(form, file);
      }
    });
  });
})();
