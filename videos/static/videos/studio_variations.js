// The variations strip: the jobs of one "Generate" with Variations above 1, side by side,
// each with its own progress, followed on /api/status, each playable when done.
(function () {
  "use strict";

  const S = window.CogStudio;
  if (!S) return;
  const $ = S.$;
  let jobs = new Map(); // task_id -> latest status body, in the order sent
  let timer = null;

  function card(job, index) {
    const item = document.createElement("li");
    item.className = "variation";
    item.dataset.taskId = job.task_id;
    const title = Object.assign(document.createElement("p"), { className: "variation-title" });
    title.textContent = "Variation " + (index + 1) + " · seed " + job.seed;
    const bar = Object.assign(document.createElement("progress"), { max: 100 });
    bar.setAttribute("aria-label", "Variation " + (index + 1) + " progress");
    const status = Object.assign(document.createElement("p"), { className: "variation-status" });
    const video = Object.assign(document.createElement("video"), { controls: true, muted: true, loop: true, playsInline: true, hidden: true });
    video.setAttribute("aria-label", "Variation " + (index + 1) + ", seed " + job.seed);
    item.append(title, bar, status, video);
    return item;
  }

  function update(item, job) {
    item.dataset.status = job.status;
    item.dataset.seed = job.seed;
    const bar = item.querySelector("progress");
    bar.hidden = job.status === "canceled" || job.status === "failed";
    bar.value = job.status === "completed" ? 100 : job.progress || 0;
    item.querySelector(".variation-status").textContent = job.status === "failed" ? "Failed: " + (job.error || "unknown error") : S.describe(job);
    const video = item.querySelector("video");
    if (job.status === "completed" && job.video_url && video.dataset.src !== job.video_url) {
      video.dataset.src = job.video_url;
      video.poster = job.thumbnail_url;
      video.src = job.video_url;
      video.hidden = false;
    }
  }

  function summarize() {
    const all = Array.from(jobs.values());
    const done = all.filter((job) => S.TERMINAL.includes(job.status));
    $("variations-status").textContent = done.length === all.length
      ? all.length + " variations finished: " + all.filter((job) => job.status === "completed").length + " completed."
      : done.length + " of " + all.length + " variations finished.";
  }

  function running() {
    return Array.from(jobs.values()).some((job) => !S.TERMINAL.includes(job.status));
  }

  async function poll() {
    clearTimeout(timer);
    const open = Array.from(jobs.values()).filter((job) => !S.TERMINAL.includes(job.status));
    for (const job of open) {
      try {
        const answer = await S.jobStatus(job.task_id);
        if (answer.ok) show(answer.data);
      } catch (_error) {
        // the next poll retries
      }
    }
    $("variations-panel").hidden = jobs.size === 0; // none was created (the first was refused)
    summarize();
    if (running()) timer = setTimeout(poll, S.pollMs);
    else if (S.variationsDone) S.variationsDone(Array.from(jobs.values()));
  }

  function show(job) {
    const strip = $("variation-strip");
    let item = strip.querySelector(`[data-task-id="${job.task_id}"]`);
    if (!item) {
      item = card(job, strip.children.length);
      strip.appendChild(item);
    }
    jobs.set(job.task_id, job);
    update(item, job);
  }

  // A new set: the strip empties and shows the panel; add() puts each job in as it is created.
  function start() {
    clearTimeout(timer);
    jobs = new Map();
    $("variation-strip").replaceChildren();
    $("variations-status").textContent = "";
    $("variations-panel").hidden = false;
  }

  function add(job) {
    show(job);
    summarize();
  }

  S.variations = { start: start, add: add, follow: poll, running: running };
})();
