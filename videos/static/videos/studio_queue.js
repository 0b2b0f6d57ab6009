// The queue panel: the user's running and queued jobs (GET studio/queue: the API's status
// bodies) with position, ETA and progress, each with its own Cancel (POST /api/cancel/<id>).
// Polled while it has rows, slowly while empty (jobs may come from another tab or the API).
(function () {
  "use strict";

  const S = window.CogStudio;
  if (!S) return;
  const $ = S.$;
  const IDLE_MS = 5000;
  let timer = null;

  function row(job) {
    const item = document.createElement("li");
    item.className = "queue-row";
    item.dataset.taskId = job.task_id;
    const text = document.createElement("div");
    const prompt = Object.assign(document.createElement("p"), { className: "queue-prompt", textContent: S.excerpt(job.prompt, 90) });
    prompt.title = job.prompt || "";
    const facts = Object.assign(document.createElement("p"), { className: "queue-facts" });
    text.append(prompt, facts);
    const cancel = Object.assign(document.createElement("button"), { type: "button", className: "danger queue-cancel", textContent: "Cancel" });
    cancel.setAttribute("aria-label", "Cancel job: " + S.excerpt(job.prompt, 60));
    const bar = Object.assign(document.createElement("progress"), { max: 100 });
    bar.setAttribute("aria-label", "Progress: " + S.excerpt(job.prompt, 60));
    item.append(text, cancel, bar);
    return item;
  }

  function update(item, job) {
    item.dataset.status = job.status;
    const model = job.model ? job.model + " · " : "";
    item.querySelector(".queue-facts").textContent = model + S.describe(job);
    item.querySelector("progress").value = job.progress || 0;
  }

  function render(jobs) {
    const list = $("queue-list");
    const rows = new Map(Array.from(list.children, (item) => [item.dataset.taskId, item]));
    const ordered = jobs.map((job) => {
      const item = rows.get(job.task_id) || row(job);
      update(item, job);
      return item;
    });
    list.replaceChildren(...ordered); // rows keep their elements (and focus) between polls
    const running = jobs.filter((job) => job.status === "processing").length;
    const queued = jobs.length - running;
    $("queue-summary").textContent = jobs.length
      ? [running && running + " running", queued && queued + " queued"].filter(Boolean).join(", ") + "."
      : "Nothing queued or running.";
  }

  async function refresh() {
    clearTimeout(timer);
    let busy = true;
    try {
      const answer = await S.getJSON(S.root.dataset.queueUrl);
      if (answer.ok) {
        render(answer.data.jobs);
        busy = answer.data.jobs.length > 0;
      }
    } catch (_error) {
      // keep the rows; the next poll retries
    }
    timer = setTimeout(refresh, busy ? S.pollMs * 2 : IDLE_MS);
  }

  $("queue-list").addEventListener("click", async (event) => {
    const button = event.target.closest(".queue-cancel");
    if (!button) return;
    const item = button.closest(".queue-row");
    button.disabled = true;
    $("queue-note").textContent = "";
    const answer = await S.send(S.urlFor(S.root.dataset.cancelUrl, item.dataset.taskId));
    if (answer.ok) {
      update(item, answer.data);
      $("queue-note").textContent = "Canceled: " + S.excerpt(answer.data.prompt, 60);
    } else {
      button.disabled = false;
      item.querySelector(".queue-facts").textContent = (answer.data.error && answer.data.error.message) || "Could not cancel.";
    }
    refresh();
  });

  S.refreshQueue = refresh;
  refresh();
})();
