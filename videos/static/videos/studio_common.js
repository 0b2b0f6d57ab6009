// The studio's shared helpers, loaded first as a plain script (no build step): the page's
// root and CSRF token, POST with JSON or FormData, job status text, Idempotency-Keys. The
// other studio scripts (studio_queue.js, studio_history.js, studio_variations.js, studio.js)
// find them on window.CogStudio and add their own entry points there.
(function () {
  "use strict";

  const root = document.getElementById("studio");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const TERMINAL = ["completed", "failed", "canceled"];

  function urlFor(template, id) {
    return template.replace("00000000-0000-0000-0000-000000000000", id).replace("JOB", id);
  }

  // `body` is an object (sent as JSON) or a FormData (multipart, its own Content-Type).
  async function send(url, body, extraHeaders) {
    const form = body instanceof FormData;
    const headers = { "X-CSRFToken": root.querySelector("input[name=csrfmiddlewaretoken]").value, Accept: "application/json" };
    if (!form) headers["Content-Type"] = "application/json";
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: Object.assign(headers, extraHeaders || {}),
      body: form ? body : JSON.stringify(body || {}),
    });
    let data = {};
    try {
      data = await response.json();
    } catch (_error) {
      data = { error: { message: "The server answered " + response.status + "." } };
    }
    return { ok: response.ok, status: response.status, data: data };
  }

  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    return { ok: response.ok, status: response.status, data: await response.json() };
  }

  function jobStatus(id) {
    return getJSON(urlFor(root.dataset.statusUrl, id));
  }

  function seconds(eta) {
    return "about " + Math.max(1, Math.round(eta)) + " s left";
  }

  // One line for a job's state: position and ETA while queued, stage/step/progress/ETA while running.
  function describe(job) {
    switch (job.status) {
      case "queued": {
        const parts = [job.queue_position ? "Queued, position " + job.queue_position : "Queued"];
        if (job.eta_seconds != null) parts.push(seconds(job.eta_seconds));
        return parts.join(" · ") + ".";
      }
      case "processing": {
        const parts = ["Processing: " + (job.stage || "working")];
        if (job.total_steps && job.stage === "denoising") parts.push("step " + job.step + " of " + job.total_steps);
        parts.push(job.progress + "%");
        if (job.eta_seconds != null) parts.push(seconds(job.eta_seconds));
        return parts.join(" · ");
      }
      case "completed":
        return "Done: 100%.";
      case "failed":
        return "Failed.";
      case "canceled":
        return "Canceled.";
      default:
        return job.status;
    }
  }

  function randomKey() {
    const bytes = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs HTTPS
    return "studio-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function excerpt(text, length) {
    text = text || "";
    return text.length > length ? text.slice(0, length - 1) + "…" : text;
  }

  window.CogStudio = {
    root: root,
    $: $,
    TERMINAL: TERMINAL,
    pollMs: Number(root.dataset.pollMs) || 1000,
    urlFor: urlFor,
    send: send,
    getJSON: getJSON,
    jobStatus: jobStatus,
    describe: describe,
    randomKey: randomKey,
    excerpt: excerpt,
  };
})();
