// Reelproof storefront loader. The theme block already shows the testimonials as plain HTML;
// this script only fetches the interactive widget (WebAssembly) once a block comes near the
// viewport or is touched, so pages that never show a block never pay for it.
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
    var io = "IntersectionObserver" in window && new IntersectionObserver(function (entries) {
      for (var i = 0; i < entries.length; i++) if (entries[i].isIntersecting) { io.disconnect(); start(); return; }
    }, { rootMargin: "200px" });
    for (var i = 0; i < blocks.length; i++) {
      var b = blocks[i];
      // A block without data-api at all was written by hand next to our /widget/loader.js; a
      // theme block always carries one (empty until the server has written it: no widget then).
      if (!b.hasAttribute("data-api") && own) b.setAttribute("data-api", own);
      b.addEventListener("pointerdown", start, { once: true });
      b.addEventListener("focusin", start, { once: true });
      if (io) io.observe(b);
    }
    if (!io) start();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch);
  else watch();
})();
