// The history (the gallery of the user's videos): search by prompt (server-side, paged),
// hover or tap to play, same seed / new seed, "Use these settings" (fills the form), a
// permalink, and Delete (asks first; removes the video, its job and files).
(function () {
  "use strict";

  const S = window.CogStudio;
  if (!S) return;
  const $ = S.$;

  function query() {
    return $("gallery-q").value.trim();
  }

  async function loadGallery(page) {
    const params = new URLSearchParams({ page: String(page || 1) });
    if (query()) params.set("q", query());
    const response = await fetch(S.root.dataset.galleryUrl + "?" + params, { credentials: "same-origin" });
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

  async function remove(card, button) {
    const prompt = card.querySelector(".gallery-prompt").title;
    if (!window.confirm("Delete this video and its files?\n\n" + S.excerpt(prompt, 120))) return;
    button.disabled = true;
    const answer = await S.send(S.urlFor(S.root.dataset.deleteUrl, card.dataset.videoId));
    if (answer.ok) {
      $("gallery-status").textContent = "Deleted: " + S.excerpt(prompt, 60);
      await loadGallery($("gallery-items").dataset.page);
    } else {
      button.disabled = false;
      $("gallery-status").textContent = (answer.data.error && answer.data.error.message) || "Could not delete.";
    }
  }

  async function galleryClick(event) {
    const link = event.target.closest(".pagination a[data-page]");
    if (link) {
      event.preventDefault();
      await loadGallery(link.dataset.page);
      $("gallery-heading").focus();
      return;
    }
    const card = event.target.closest(".gallery-card");
    if (!card) return;
    const button = event.target.closest("button");
    if (!button) return;
    if (button.classList.contains("play-toggle")) {
      const video = card.querySelector("video");
      setPlaying(video, video.paused);
    } else if (button.classList.contains("use-settings")) {
      await S.useSettings(card.dataset.jobId);
    } else if (button.classList.contains("delete")) {
      await remove(card, button);
    } else if (button.classList.contains("rerun")) {
      button.disabled = true;
      const answer = await S.send(S.urlFor(S.root.dataset.rerunUrl, card.dataset.jobId), { seed: button.dataset.seed });
      button.disabled = false;
      if (answer.ok) {
        S.follow(answer.data);
        $("job-panel").scrollIntoView({ behavior: "smooth", block: "nearest" });
      } else {
        S.showErrors(answer.data.error);
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
  $("gallery-search").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("gallery-status").textContent = "";
    await loadGallery(1);
    const found = gallery.querySelectorAll(".gallery-card").length;
    $("gallery-status").textContent = query() ? found + (found === 1 ? " video" : " videos") + " on this page match." : "";
  });

  S.loadGallery = loadGallery;
})();
