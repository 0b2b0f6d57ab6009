// The studio page: sends the form as JSON (as multipart with the start image, for an
// image-to-video model), follows the job through the public API
// (/api/status, /api/cancel; session cookie + CSRF header), shows the result, and runs the
// gallery (hover or tap to play, same seed / new seed, pages). Vanilla JS, no build step.
(function () {
  "use strict";

  const root = document.getElementById("studio");
  if (!root) return;
  const form = document.getElementById("generate-form");
  const csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  const templates = JSON.parse(document.getElementById("templates-data").textContent);
  const models = JSON.parse(document.getElementById("models-data").textContent);
  const pollMs = Number(root.dataset.pollMs) || 1000;
  const FIELDS = ["model", "image", "image_url", "prompt", "negative_prompt", "duration", "resolution", "fit", "fps", "seed", "num_inference_steps", "guidance_scale", "template", "variables"];
  const $ = (id) => document.getElementById(id);

  let current = null; // the job being followed: {id, timer}

  function urlFor(template, id) {
    return template.replace("00000000-0000-0000-0000-000000000000", id).replace("JOB", id);
  }

  // `body` is an object (sent as JSON) or a FormData (multipart, its own Content-Type).
  async function send(url, body, extraHeaders) {
    const form = body instanceof FormData;
    const headers = { "X-CSRFToken": csrf, Accept: "application/json" };
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

  // -- model picker: each model's own durations, rates, fits and sizes (GET /api/models's) --
  function chosenModel() {
    return models.find((m) => m.id === $("model").value) || models[0];
  }

  function setOptions(select, values, chosen, label) {
    const keep = values.map(String).includes(select.value) ? select.value : String(chosen);
    select.replaceChildren(
      ...values.map((value) => Object.assign(document.createElement("option"), { value: String(value), textContent: label(value) }))
    );
    select.value = keep;
  }

  let shownModel = null; // the model whose choices the form shows

  function showModel() {
    const model = chosenModel();
    // A resolution the editor left at the last model's default follows the model's default.
    const untouched = !shownModel || $("resolution").value === shownModel.default_resolution;
    shownModel = model;
    setOptions($("duration"), model.durations, model.default_duration, (s) => s + " s");
    setOptions($("fps"), model.fps, model.fps[0], (rate) => rate + " fps");
    setOptions($("fit"), model.fits, model.default_fit, (fit) => fit);
    $("resolution-list").replaceChildren(
      ...model.resolutions.map((size) => Object.assign(document.createElement("option"), { value: size }))
    );
    if (untouched || !model.resolutions.includes($("resolution").value)) $("resolution").value = model.default_resolution;
    $("size-multiple").textContent = model.size_multiple;
    $("trained-sizes").textContent = model.trained_text;
    $("quality-steps").textContent = model.steps.quality;
    $("draft-steps").textContent = model.steps.draft;
    $("num_inference_steps").max = model.steps.max;
    $("image-field").hidden = !model.takes_image;
  }

  // -- start image (image-to-video): chosen or dropped, shown beside the prompt -----------
  const IMAGE_TYPES = $("image").accept.split(",");
  let startImage = null; // the File to send, or null

  function setImage(file) {
    $("image-error").textContent = "";
    const preview = $("image-preview");
    if (preview.src) URL.revokeObjectURL(preview.src);
    if (file && !IMAGE_TYPES.includes(file.type)) {
      $("image-error").textContent = (file.name || "That file") + " is not a " + $("image-field").dataset.formats + " image.";
      file = null;
    }
    startImage = file || null;
    if (startImage) $("form-error").textContent = ""; // a new image answers the last refusal
    preview.hidden = !startImage;
    preview.src = startImage ? URL.createObjectURL(startImage) : "";
    $("image-name").textContent = startImage ? startImage.name + " (" + Math.ceil(startImage.size / 1024) + " KB)" : "Drop a picture here, or";
    $("image-clear").hidden = !startImage;
    $("image-drop").classList.toggle("has-image", Boolean(startImage));
    if (!startImage) $("image").value = "";
  }

  const drop = $("image-drop");
  for (const name of ["dragenter", "dragover"]) {
    drop.addEventListener(name, (event) => {
      event.preventDefault();
      drop.classList.add("dragging");
    });
  }
  drop.addEventListener("dragleave", () => drop.classList.remove("dragging"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("dragging");
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) setImage(file);
  });
  $("image").addEventListener("change", () => setImage($("image").files[0] || null));
  $("image-clear").addEventListener("click", () => setImage(null));

  // -- template picker --------------------------------------------------------------------
  function showTemplate() {
    const slug = $("template").value;
    const box = $("variable-fields");
    box.replaceChildren();
    const chosen = templates.find((t) => t.slug === slug);
    const text = $("template-text");
    text.hidden = !chosen;
    $("prompt").placeholder = chosen
      ? "Optional: leave empty to use the template"
      : "A beautiful sunset over the ocean with waves crashing";
    if (!chosen) return;
    text.textContent = "Template: " + chosen.text;
    // The template's defaults fill the form; the user may still change them.
    const defaults = chosen.default_params || {};
    if (defaults.duration != null) $("duration").value = String(defaults.duration);
    if (defaults.resolution) $("resolution").value = defaults.resolution;
    if (defaults.enhance_quality != null) $("enhance_quality").checked = Boolean(defaults.enhance_quality);
    if (defaults.num_inference_steps != null) $("num_inference_steps").value = String(defaults.num_inference_steps);
    if (defaults.guidance_scale != null) $("guidance_scale").value = String(defaults.guidance_scale);
    if (chosen.default_negative_prompt && !$("negative_prompt").value) $("negative_prompt").value = chosen.default_negative_prompt;
    for (const name of chosen.placeholders) {
      const wrap = document.createElement("div");
      wrap.className = "field";
      const label = document.createElement("label");
      label.htmlFor = "var-" + name;
      label.textContent = name.replace(/_/g, " ");
      const input = document.createElement("input");
      input.id = "var-" + name;
      input.name = name;
      input.dataset.variable = name;
      input.required = true;
      input.value = (chosen.sample_variables || {})[name] || "";
      wrap.append(label, input);
      box.appendChild(wrap);
    }
  }

  // -- form -------------------------------------------------------------------------------
  function clearErrors() {
    $("form-error").textContent = "";
    for (const name of FIELDS) {
      const slot = $(name + "-error");
      if (slot) slot.textContent = "";
      const input = $(name);
      if (input) input.removeAttribute("aria-invalid");
    }
  }

  function showErrors(error) {
    const fields = (error && error.fields) || {};
    let unplaced = [];
    for (const [name, messages] of Object.entries(fields)) {
      const text = [].concat(messages).join(" ");
      const slot = $(name + "-error");
      if (slot) {
        slot.textContent = text;
        const input = $(name);
        if (input) input.setAttribute("aria-invalid", "true");
      } else {
        unplaced.push(name + ": " + text);
      }
    }
    const message = (error && error.message) || "Something went wrong.";
    $("form-error").textContent = unplaced.length ? message + " " + unplaced.join(" ") : message;
  }

  function requestBody() {
    const body = {};
    const text = (id) => $(id).value.trim();
    if (text("prompt")) body.prompt = text("prompt");
    if (text("negative_prompt")) body.negative_prompt = text("negative_prompt");
    if ($("template").value) {
      body.template = $("template").value;
      body.variables = {};
      for (const input of $("variable-fields").querySelectorAll("[data-variable]")) {
        body.variables[input.dataset.variable] = input.value.trim();
      }
    }
    body.duration = Number($("duration").value);
    if (text("resolution")) body.resolution = text("resolution");
    body.fit = $("fit").value;
    body.fps = Number($("fps").value);
    body.enhance_quality = $("enhance_quality").checked;
    // Numbers are sent as typed; the server says what is wrong with them.
    for (const id of ["seed", "num_inference_steps", "guidance_scale"]) {
      if (text(id) !== "") body[id] = Number(text(id));
    }
    body.model = chosenModel().id;
    return body;
  }

  // With a start image the request goes as multipart: the fields as text (objects as JSON)
  // and the image as a file part, as the API takes it.
  function requestPayload(body) {
    if (!(chosenModel().takes_image && startImage)) return body;
    const form = new FormData();
    for (const [name, value] of Object.entries(body)) {
      form.append(name, typeof value === "object" ? JSON.stringify(value) : String(value));
    }
    form.append("image", startImage, startImage.name || "image");
    return form;
  }

  // One Idempotency-Key per request the editor means to send: sending the same form again
  // after a lost answer (network error) reuses it, so it cannot create a second job.
  let unanswered = null; // {text, key} of the last submission that got no answer

  function submissionKey(body) {
    const image = chosenModel().takes_image && startImage;
    const text = JSON.stringify([body, image ? [image.name, image.size, image.lastModified] : null]);
    if (!unanswered || unanswered.text !== text) {
      const bytes = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs HTTPS
      const key = "studio-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      unanswered = { text: text, key: key };
    }
    return unanswered.key;
  }

  async function submit(event) {
    event.preventDefault();
    clearErrors();
    const button = $("generate");
    button.disabled = true;
    try {
      const body = requestBody();
      const key = submissionKey(body);
      const answer = await send(root.dataset.generateUrl, requestPayload(body), { "Idempotency-Key": key });
      unanswered = null; // an answer came: the next submission is a new request
      if (answer.ok) follow(answer.data);
      else showErrors(answer.data.error);
    } catch (error) {
      showErrors({ message: "Could not reach the server: " + error.message });
    } finally {
      setGenerateEnabled(!current);
    }
  }

  // While a job is followed, Generate waits for it: a second click would start a job the
  // panel does not show (the gallery lists it only when done).
  function setGenerateEnabled(enabled) {
    const button = $("generate");
    button.disabled = !enabled;
    button.textContent = enabled ? "Generate" : "Generating…";
  }

  // -- following a job --------------------------------------------------------------------
  function describe(job) {
    switch (job.status) {
      case "queued":
        return job.queue_position ? "Queued, position " + job.queue_position + "." : "Queued.";
      case "processing": {
        const parts = ["Processing: " + (job.stage || "working")];
        if (job.total_steps && job.stage === "denoising") parts.push("step " + job.step + " of " + job.total_steps);
        parts.push(job.progress + "%");
        if (job.eta_seconds != null) parts.push("about " + Math.max(1, Math.round(job.eta_seconds)) + " s left");
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

  function render(job) {
    const panel = $("job-panel");
    panel.hidden = false;
    panel.dataset.taskId = job.task_id;
    panel.dataset.status = job.status;
    $("job-prompt").textContent = job.prompt || "";
    // A canceled or failed job has no progress left to show: a part-filled bar would say it
    // may still finish.
    const progress = $("job-progress");
    progress.hidden = job.status === "canceled" || job.status === "failed";
    progress.value = job.status === "completed" ? 100 : progress.hidden ? 0 : job.progress || 0;
    $("job-status").textContent = describe(job);
    $("cancel").hidden = !(job.status === "queued" || job.status === "processing");
    const error = $("job-error");
    error.hidden = job.status !== "failed";
    error.textContent = job.status === "failed" ? "The video could not be made: " + (job.error || "unknown error") : "";
    const warnings = $("job-warnings");
    warnings.replaceChildren(
      ...(job.warnings || []).map((text) => Object.assign(document.createElement("li"), { textContent: text }))
    );
    warnings.hidden = !(job.warnings || []).length;
    const result = $("job-result");
    if (job.status === "completed" && job.video_url) {
      const video = $("result-video");
      if (video.dataset.src !== job.video_url) {
        video.dataset.src = job.video_url;
        video.poster = job.thumbnail_url;
        video.src = job.video_url;
        video.play().catch(() => {}); // muted, so browsers allow it; the controls remain
      }
      $("result-download").href = job.video_url;
      $("result-seed").textContent = job.seed;
      result.hidden = false;
    } else {
      result.hidden = true;
    }
  }

  function stopFollowing() {
    if (current) clearTimeout(current.timer);
    current = null;
    setGenerateEnabled(true);
  }

  function follow(job) {
    stopFollowing();
    current = { id: job.task_id, timer: null };
    setGenerateEnabled(false);
    render(job);
    const mine = current;
    const poll = async () => {
      if (current !== mine) return;
      try {
        const response = await fetch(urlFor(root.dataset.statusUrl, mine.id), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        const data = await response.json();
        if (current !== mine) return;
        if (!response.ok) {
          $("job-status").textContent = (data.error && data.error.message) || "Status unavailable.";
        } else {
          render(data);
          if (["completed", "failed", "canceled"].includes(data.status)) {
            stopFollowing();
            if (data.status === "completed") loadGallery(1);
            return;
          }
        }
      } catch (_error) {
        $("job-status").textContent = "Connection lost; retrying…";
      }
      mine.timer = setTimeout(poll, pollMs);
    };
    if (["completed", "failed", "canceled"].includes(job.status)) stopFollowing();
    else mine.timer = setTimeout(poll, pollMs);
  }

  async function cancel() {
    if (!current) return;
    const answer = await send(urlFor(root.dataset.cancelUrl, current.id));
    if (answer.ok) {
      stopFollowing();
      render(answer.data);
    } else {
      $("job-status").textContent = (answer.data.error && answer.data.error.message) || "Could not cancel.";
    }
  }

  // -- gallery ----------------------------------------------------------------------------
  async function loadGallery(page) {
    const response = await fetch(root.dataset.galleryUrl + "?page=" + page, { credentials: "same-origin" });
    if (response.ok) $("gallery").innerHTML = await response.text();
  }

  function setPlaying(video, playing) {
    const card = video.closest(".gallery-card");
    const button = card.querySelector(".play-toggle");
    const poster = card.querySelector(".gallery-poster");
    if (playing && poster) {
      // A card with a hover preview shows the MP4 only once Play is pressed.
      poster.hidden = true;
      video.hidden = false;
    }
    if (playing) video.play().catch(() => {});
    else video.pause();
    button.textContent = playing ? "Pause" : "Play";
    button.setAttribute("aria-pressed", String(playing));
  }

  async function galleryClick(event) {
    const link = event.target.closest(".pagination a[data-page]");
    if (link) {
      event.preventDefault();
      await loadGallery(link.dataset.page);
      $("gallery-heading").focus?.();
      return;
    }
    const card = event.target.closest(".gallery-card");
    if (!card) return;
    if (event.target.closest(".play-toggle")) {
      const video = card.querySelector("video");
      setPlaying(video, video.paused);
    } else if (event.target.closest(".rerun")) {
      const button = event.target.closest(".rerun");
      button.disabled = true;
      const answer = await send(urlFor(root.dataset.rerunUrl, card.dataset.jobId), { seed: button.dataset.seed });
      button.disabled = false;
      if (answer.ok) {
        follow(answer.data);
        $("job-panel").scrollIntoView({ behavior: "smooth", block: "nearest" });
      } else {
        showErrors(answer.data.error);
      }
    }
  }

  const gallery = $("gallery");
  gallery.addEventListener("click", galleryClick);
  gallery.addEventListener("mouseover", (event) => {
    const video = event.target.closest(".gallery-video");
    if (video && video.paused) setPlaying(video, true);
  });
  gallery.addEventListener("mouseout", (event) => {
    const video = event.target.closest(".gallery-video");
    if (video && !video.contains(event.relatedTarget)) setPlaying(video, false);
  });

  $("template").addEventListener("change", showTemplate);
  $("model").addEventListener("change", showModel);
  form.addEventListener("submit", submit);
  $("cancel").addEventListener("click", cancel);
  showModel();
  showTemplate();
  if (root.dataset.runningJob) {
    // Reloaded while a job runs: pick it up again.
    fetch(urlFor(root.dataset.statusUrl, root.dataset.runningJob), { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : null))
      .then((job) => job && follow(job))
      .catch(() => {});
  }
})();
