// The studio page's form: sends it as JSON (as multipart with the start image, for an
// image-to-video model), once or as a set of variations, follows the job through the public
// API (/api/status, /api/cancel; session cookie + CSRF header), shows the result, and fills
// the form from an earlier job ("Use these settings"). Vanilla JS, no build step; the
// helpers are studio_common.js's, the queue, history and variations have their own scripts.
(function () {
  "use strict";

  const S = window.CogStudio;
  if (!S) return;
  const root = S.root;
  const $ = S.$;
  const send = S.send;
  const urlFor = S.urlFor;
  const form = document.getElementById("generate-form");
  const templates = JSON.parse(document.getElementById("templates-data").textContent);
  const models = JSON.parse(document.getElementById("models-data").textContent);
  const pollMs = S.pollMs;
  const FIELDS = ["model", "image", "image_url", "prompt", "negative_prompt", "duration", "resolution", "fit", "fps", "seed", "num_inference_steps", "guidance_scale", "template", "variables"];
  const MAX_SEED = 4294967295;

  let current = null; // the job being followed: {id, timer}

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
  // after a lost answer (network error) reuses it, so it cannot create a second job. A set
  // of variations is one request per variation (its place in the set is part of the text).
  const unanswered = new Map(); // text of a submission that got no answer -> its key

  function submissionKey(body, index) {
    const image = chosenModel().takes_image && startImage;
    const text = JSON.stringify([body, image ? [image.name, image.size, image.lastModified] : null, index]);
    if (!unanswered.has(text)) unanswered.set(text, S.randomKey());
    return [text, unanswered.get(text)];
  }

  // The bodies of one click: the form's, or one per variation with its own seed (the form's
  // seed, then the next ones; none given: each gets the service's random seed).
  function variationBodies(body, count) {
    return Array.from({ length: count }, (_unused, index) => {
      const copy = Object.assign({}, body);
      if (index && body.seed != null && Number.isInteger(body.seed)) copy.seed = (body.seed + index) % (MAX_SEED + 1);
      return copy;
    });
  }

  async function submit(event) {
    event.preventDefault();
    clearErrors();
    $("form-note").textContent = "";
    setGenerateEnabled(false);
    const count = Number($("variations").value) || 1;
    try {
      const bodies = variationBodies(requestBody(), count);
      if (count > 1) S.variations.start();
      for (const [index, body] of bodies.entries()) {
        const [text, key] = submissionKey(body, count > 1 ? index : null);
        const answer = await send(root.dataset.generateUrl, requestPayload(body), { "Idempotency-Key": key });
        unanswered.delete(text); // an answer came: the next submission is a new request
        if (!answer.ok) {
          showErrors(answer.data.error);
          break;
        }
        if (count > 1) S.variations.add(answer.data);
        else follow(answer.data);
      }
      if (count > 1) S.variations.follow();
      S.refreshQueue();
    } catch (error) {
      showErrors({ message: "Could not reach the server: " + error.message });
    } finally {
      setGenerateEnabled(!busy());
    }
  }

  function busy() {
    return Boolean(current) || S.variations.running();
  }

  // While a job (or a set of variations) is followed, Generate waits for it: a second click
  // would start a job the panel does not follow (the queue panel lists it, the gallery only
  // when done).
  function setGenerateEnabled(enabled) {
    const button = $("generate");
    button.disabled = !enabled;
    button.textContent = enabled ? "Generate" : "Generating…";
  }

  // -- following a job --------------------------------------------------------------------
  const describe = S.describe;

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
    // While it denoises: the latents as a small picture, a new URL whenever a step's is ready.
    const live = $("job-live-preview");
    if (job.status === "processing" && job.live_preview_url) {
      if (live.dataset.src !== job.live_preview_url) {
        live.dataset.src = job.live_preview_url;
        live.src = job.live_preview_url;
      }
      live.hidden = false;
    } else {
      live.hidden = true;
    }
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
    setGenerateEnabled(!busy());
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
            if (data.status === "completed") S.loadGallery(1);
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

  // -- "Use these settings": an earlier job's request back in the form ---------------------
  function setValue(id, value) {
    if (value != null) $(id).value = String(value);
  }

  async function useSettings(jobId) {
    const answer = await S.jobStatus(jobId);
    if (!answer.ok) {
      $("form-note").textContent = (answer.data.error && answer.data.error.message) || "Could not load that job.";
      return;
    }
    const job = answer.data;
    const params = job.params || {};
    clearErrors();
    if (models.some((m) => m.id === job.model)) $("model").value = job.model;
    showModel();
    const template = job.template && templates.some((t) => t.slug === job.template) ? job.template : "";
    $("template").value = template;
    showTemplate(); // the template's defaults first; the job's own values below win
    for (const input of $("variable-fields").querySelectorAll("[data-variable]")) {
      const value = (job.variables || {})[input.dataset.variable];
      if (value != null) input.value = value;
    }
    $("prompt").value = template ? "" : job.prompt || ""; // a template renders the prompt again
    $("negative_prompt").value = job.negative_prompt || "";
    setValue("duration", params.duration);
    setValue("resolution", params.resolution);
    setValue("fit", params.fit);
    setValue("fps", params.fps);
    setValue("seed", job.seed);
    setValue("num_inference_steps", params.num_inference_steps);
    setValue("guidance_scale", params.guidance_scale);
    if (params.enhance_quality != null) $("enhance_quality").checked = Boolean(params.enhance_quality);
    $("variations").value = "1";
    form.querySelector("details.advanced").open = true;
    if (job.input_image_url) {
      // The start image too, as a file again (the API serves it to its owner).
      const response = await fetch(job.input_image_url, { credentials: "same-origin" });
      if (response.ok) {
        const blob = await response.blob();
        setImage(new File([blob], "start-image." + (blob.type.split("/")[1] || "png"), { type: blob.type }));
      }
    }
    $("form-note").textContent = "Settings loaded from: " + S.excerpt(job.prompt, 80);
    form.scrollIntoView({ behavior: "smooth", block: "start" });
    $("prompt").focus({ preventScroll: true });
  }

  S.variationsDone = (jobs) => {
    setGenerateEnabled(!busy());
    if (jobs.some((job) => job.status === "completed")) S.loadGallery(1);
  };
  S.follow = follow;
  S.showErrors = showErrors;
  S.useSettings = useSettings;

  $("template").addEventListener("change", showTemplate);
  $("model").addEventListener("change", showModel);
  form.addEventListener("submit", submit);
  $("cancel").addEventListener("click", cancel);
  showModel();
  showTemplate();
  const wanted = new URLSearchParams(location.search).get("use");
  if (wanted) {
    // From a video's permalink: "Use these settings" opens /?use=<job id>.
    history.replaceState(null, "", location.pathname);
    useSettings(wanted);
  }
  if (root.dataset.runningJob) {
    // Reloaded while a job runs: pick it up again.
    fetch(urlFor(root.dataset.statusUrl, root.dataset.runningJob), { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : null))
      .then((job) => job && follow(job))
      .catch(() => {});
  }
})();
