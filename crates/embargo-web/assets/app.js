// Embargo's only script: comfort, never required. Copy buttons for secrets
// and links (the page shows them as text and works without this).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const target of document.querySelectorAll("[data-copy]")) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = "Copy";
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(target.textContent.trim());
        button.textContent = "Copied";
      } catch {
        button.textContent = "Select and copy it";
      }
    });
    target.insertAdjacentElement("afterend", button);
  }
});
