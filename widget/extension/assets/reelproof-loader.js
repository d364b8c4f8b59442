// Reelproof storefront loader. The theme block already shows the testimonials as plain HTML;
// once the page has loaded, this script gives the posters their addresses and fetches the
// interactive widget (WebAssembly) when the shopper engages and a block comes near the
// viewport, or a block is touched: pages that never show a block never pay for it, and no
// page loads slower for it.
//
// One file, two homes: the theme app extension ships it from its own assets (Shopify's CDN),
// and the server serves the same file at /widget/loader.js for hand-written embeds. Where the
// Reelproof server is comes from the block's data-api (the theme block prints the shop's
// app-owned `api_base` metafield, which the server writes), else from this script's own origin.
// The server's /widget/entry.js names the widget's current (hashed) files.
(function () {
  var me = document.currentScript;
  var own = me ? new URL(me.src).origin : "";
  var started = false;
  function apiOf(blocks) {
    for (var i = 0; i < blocks.length; i++) {
      var a = blocks[i].getAttribute("data-api");
      if (a) return a.replace(/\/+$/, "");
    }
    return "";
  }
  function start() {
    if (started) return;
    var api = apiOf(document.querySelectorAll(".reelproof-widget"));
    if (!api) return;
    started = true;
    import(api + "/widget/entry.js")
      .then(function (m) { return m.default({ module_or_path: m.wasm }); })
      .catch(function (e) { console.warn("Reelproof widget did not load", e); });
  }
  function watch() {
    var blocks = document.querySelectorAll(".reelproof-widget");
    if (!blocks.length) return;
    var empty = false;
    for (var i = 0; i < blocks.length; i++) {
      var b = blocks[i];
      // A block without data-api at all was written by hand next to our /widget/loader.js; a
      // theme block always carries one (empty until the server has written it: no widget then).
      if (!b.hasAttribute("data-api") && own) b.setAttribute("data-api", own);
      b.addEventListener("pointerdown", start, { once: true });
      b.addEventListener("focusin", start, { once: true });
      if (!b.querySelector("[data-testimonial]")) empty = true;
    }
    // A block the server filled already works (native controls); it is enhanced once the
    // shopper engages with the page (scrolls, touches, types) and the block is near. An empty
    // block has nothing to show without the widget: it is filled as soon as it is near.
    var events = ["scroll", "touchstart", "keydown"];
    function engaged() {
      events.forEach(function (e) { window.removeEventListener(e, engaged, { passive: true }); });
      observe(blocks);
    }
    if (empty || window.scrollY > 0) observe(blocks);
    else events.forEach(function (e) { window.addEventListener(e, engaged, { passive: true }); });
  }
  function observe(blocks) {
    if (!("IntersectionObserver" in window)) return start();
    var io = new IntersectionObserver(function (entries) {
      for (var i = 0; i < entries.length; i++) if (entries[i].isIntersecting) { io.disconnect(); start(); return; }
    }, { rootMargin: "200px" });
    for (var i = 0; i < blocks.length; i++) io.observe(blocks[i]);
  }
  // The posters' addresses wait in data- attributes (the server HTML) until the page has
  // loaded, so they never take bandwidth from the page's own images.
  function revealPosters() {
    var pictures = document.querySelectorAll(".reelproof__poster[data-rp-deferred]");
    for (var i = 0; i < pictures.length; i++) {
      var parts = pictures[i].querySelectorAll("source, img");
      for (var j = 0; j < parts.length; j++) {
        var el = parts[j];
        if (el.tagName === "IMG") el.loading = "lazy";
        ["srcset", "src"].forEach(function (a) {
          var v = el.getAttribute("data-" + a);
          if (v) { el.setAttribute(a, v); el.removeAttribute("data-" + a); }
        });
      }
      pictures[i].removeAttribute("data-rp-deferred");
    }
  }
  // Nothing of ours competes with the page's own loading: the posters and the widget wait
  // for the load event and a quiet moment after it.
  function afterLoad() {
    var later = window.requestIdleCallback || function (f) { setTimeout(f, 1); };
    later(function () { revealPosters(); watch(); }, { timeout: 2000 });
  }
  // A video started from its own controls (before or without the widget): the poster image
  // laid over it steps aside. `play` does not bubble, so it is caught on the way down.
  document.addEventListener("play", function (e) {
    var frame = e.target && e.target.closest && e.target.closest(".reelproof__frame");
    if (frame) frame.classList.add("is-playing");
  }, true);
  if (document.readyState === "complete") afterLoad();
  else window.addEventListener("load", afterLoad);
})();
