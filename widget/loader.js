// Reelproof storefront loader. The theme block already shows the testimonials as plain HTML;
// this script only fetches the interactive widget (WebAssembly) once a block comes near the
// viewport or is touched, so pages that never show a block never pay for it. The server fills
// in the widget's hashed file names when it serves this file.
(function () {
  var me = document.currentScript;
  var origin = me ? new URL(me.src).origin : "";
  var started = false;
  function start() {
    if (started) return;
    started = true;
    import(origin + "/widget/__WIDGET_JS__")
      .then(function (m) { return m.default({ module_or_path: origin + "/widget/__WIDGET_WASM__" }); })
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
      if (!b.getAttribute("data-api")) b.setAttribute("data-api", origin);
      b.addEventListener("pointerdown", start, { once: true });
      b.addEventListener("focusin", start, { once: true });
      if (io) io.observe(b);
    }
    if (!io) start();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch);
  else watch();
})();
