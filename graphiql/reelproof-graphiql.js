// Reelproof's GraphiQL: the page and its scripts are served by Reelproof itself (bundled from
// npm at build time), never from a public CDN. In dev mode the server pre-authorises the page
// for the demo shop; in production the integrator pastes an `rp_` API token, which is kept in
// this tab only (sessionStorage) and sent as `Authorization: Bearer …` to /api/graphql.
(function () {
  "use strict";
  var meta = document.querySelector("meta[name=reelproof-graphiql-auth]");
  var devAuth = meta ? meta.getAttribute("content") : null;
  var KEY = "reelproof-graphiql-token";
  var bar = document.getElementById("token-bar");
  var input = document.getElementById("token");
  var state = document.getElementById("token-state");
  var token = devAuth ? null : sessionStorage.getItem(KEY);
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  var params = new URLSearchParams(location.search);

  function fetcher(body) {
    var headers = { "content-type": "application/json", accept: "application/json" };
    var auth = devAuth || (token ? "Bearer " + token : null);
    if (auth) headers.authorization = auth;
    return fetch("/api/graphql", { method: "POST", headers: headers, body: JSON.stringify(body) }).then(function (r) {
      if (r.status === 401) {
        return { errors: [{ message: token ? "This token was refused: it may be revoked. Paste another one above." : "Paste an API token (rp_…) above: create one in Reelproof › Settings › API tokens." }] };
      }
      return r.json();
    });
  }

  var generation = 0;
  function render() {
    generation += 1;
    // A new key remounts GraphiQL, so the schema (and the docs) are fetched with the new token.
    root.render(React.createElement(GraphiQL, {
      key: generation,
      fetcher: fetcher,
      defaultQuery: params.get("query") || "# Reelproof's admin API. Press ▶ to run.\n{\n  shop {\n    name\n    domain\n  }\n}\n",
      defaultEditorToolsVisibility: true,
    }));
  }

  if (!devAuth) {
    bar.hidden = false;
    state.textContent = token ? "A token is set for this tab." : "No token yet.";
    bar.addEventListener("submit", function (e) {
      e.preventDefault();
      var value = input.value.trim();
      if (!/^rp_[A-Za-z0-9_-]+$/.test(value)) {
        state.textContent = "That is not a Reelproof API token (they start with rp_).";
        return;
      }
      token = value;
      sessionStorage.setItem(KEY, token);
      input.value = "";
      state.textContent = "A token is set for this tab.";
      render();
    });
  }
  render();
})();
