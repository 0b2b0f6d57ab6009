// The prompt's live token counter: while the editor types (and when the model changes), asks
// POST /api/prompt/check, which counts with the model's own tokenizer, and shows the count,
// whether the model would cut the prompt, and the advice (length, language).
(function () {
  "use strict";

  const count = document.getElementById("prompt-count");
  const prompt = document.getElementById("prompt");
  if (!count || !prompt) return;
  const advice = document.getElementById("prompt-advice");
  const model = document.getElementById("model");
  const csrf = document.querySelector("#studio input[name=csrfmiddlewaretoken]").value;
  let timer = null;
  let asked = 0; // the latest request's number: an older answer arriving late is dropped

  function show(result) {
    const counted = result.counted_by === "tokenizer" ? "" : "about ";
    count.textContent = counted + result.tokens + " of " + result.token_limit + " tokens" +
      (result.truncated ? ": the model will cut the rest." : ".");
    count.classList.toggle("over", result.truncated);
    advice.replaceChildren(
      ...result.warnings.map((text) => Object.assign(document.createElement("li"), { textContent: text }))
    );
    advice.hidden = !result.warnings.length;
  }

  async function check() {
    const mine = ++asked;
    const body = { prompt: prompt.value };
    if (model && model.value) body.model = model.value;
    try {
      const response = await fetch(count.dataset.checkUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
        body: JSON.stringify(body),
      });
      if (mine !== asked || !response.ok) return; // a bad prompt's errors come with Generate
      show(await response.json());
    } catch (_error) {
      // Offline for a moment: the next keystroke asks again.
    }
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  }

  prompt.addEventListener("input", soon);
  if (model) model.addEventListener("change", soon);
  check();
})();
