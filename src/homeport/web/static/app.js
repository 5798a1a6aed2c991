// Small progressive enhancements; every page works without this file.
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// The setup wizard shows the `.local` name as it is typed.
document.addEventListener("input", (event) => {
  const field = event.target;
  const shown = field instanceof HTMLInputElement && field.dataset.showsLocalName
    ? document.getElementById(field.dataset.showsLocalName) : null;
  if (shown) {
    shown.textContent = `${field.value || "…"}.local`;
  }
});
