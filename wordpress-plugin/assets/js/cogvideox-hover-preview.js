/* The posts list's Video column: a poster <img data-preview="..."> shows the animated WebP
 * preview while the pointer is on it (or it, or a link around it, has keyboard focus), and
 * its poster again after. Plain script, no dependencies; events are delegated. */
(function () {
  'use strict';
  function target(event) {
    var el = event.target;
    if (!el || !el.closest) return null;
    var img = el.matches('img[data-preview]') ? el : el.querySelector && el.querySelector('img[data-preview]');
    return img || null;
  }
  function show(img) {
    if (!img.dataset.poster) img.dataset.poster = img.getAttribute('src');
    if (img.getAttribute('src') !== img.dataset.preview) img.setAttribute('src', img.dataset.preview);
    img.classList.add('cv-previewing');
  }
  function hide(img) {
    if (img.dataset.poster && img.getAttribute('src') !== img.dataset.poster) img.setAttribute('src', img.dataset.poster);
    img.classList.remove('cv-previewing');
  }
  document.addEventListener('mouseover', function (e) {
    var img = target(e);
    if (img && e.target === img) show(img);
  });
  document.addEventListener('mouseout', function (e) {
    var img = target(e);
    if (img && e.target === img) hide(img);
  });
  document.addEventListener('focusin', function (e) {
    var img = target(e);
    if (img) show(img);
  });
  document.addEventListener('focusout', function (e) {
    var img = target(e);
    if (img) hide(img);
  });
})();
