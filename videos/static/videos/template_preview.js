// Live preview on the prompt template admin page: sends the text and sample variables to
// the admin's preview endpoint while the editor types and shows the rendered prompt, its
// estimated length in tokens and any warnings. No build step, no dependencies.
(function () {
  "use strict";

  function csrfToken(form) {
    const input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function render(box, result) {
    box.replaceChildren();
    const text = document.createElement("p");
    text.className = result.error ? "cv-preview-text cv-error" : "cv-preview-text";
    text.textContent = result.error || result.prompt || "—";
    box.appendChild(text);
    if (!result.error) {
      const meta = document.createElement("p");
      meta.className = "cv-preview-meta";
      meta.textContent = "About " + result.estimated_tokens + " of " + result.token_limit + " tokens.";
      box.appendChild(meta);
    }
    const list = document.createElement("ul");
    list.className = "cv-preview-warnings";
    for (const warning of result.warnings || []) {
      const item = document.createElement("li");
      item.className = "cv-warning";
      item.textContent = warning;
      list.appendChild(item);
    }
    box.appendChild(list);
  }

  function setUp() {
    const box = document.getElementById("cv-template-preview");
    const text = document.getElementById("id_text");
    const samples = document.getElementById("id_sample_variables");
    if (!box || !text || !samples) return;
    const form = text.form;
    let timer = null;
    let sequence = 0;

    async function refresh() {
      const mine = ++sequence;
      const body = new URLSearchParams({ text: text.value, sample_variables: samples.value });
      try {
        const response = await fetch(box.dataset.previewUrl, {
          method: "POST",
          headers: { "X-CSRFToken": csrfToken(form) },
          body: body,
          credentials: "same-origin",
        });
        const result = await response.json();
        if (mine === sequence) render(box, result);  // ignore answers overtaken by newer ones
      } catch (error) {
        if (mine === sequence) render(box, { error: "Preview unavailable: " + error.message, warnings: [] });
      }
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    }

    text.addEventListener("input", schedule);
    samples.addEventListener("input", schedule);
    refresh();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
