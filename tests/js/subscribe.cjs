// A real graphql-ws client (npm `graphql-ws` + `ws`), as an integrator would write it: connects
// to the admin API with a bearer credential in `connectionParams`, subscribes, and prints one
// JSON line per message: {"connected":true}, then {"data":…} or {"errors":…} per event, or
// {"failed":…} when the socket is refused or dropped.
// Usage: node subscribe.cjs <ws url> <Authorization value> <query> <events to wait for>
const { createClient } = require("graphql-ws");
const WebSocket = require("ws");

const [url, authorization, query, count] = process.argv.slice(2);
let left = Number(count);
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: authorization },
  retryAttempts: 0,
  on: { connected: () => console.log(JSON.stringify({ connected: true })) },
});
client.subscribe(
  { query },
  {
    next: (msg) => {
      console.log(JSON.stringify(msg));
      if (--left <= 0) {
        client.dispose();
        process.exit(0);
      }
    },
    error: (err) => {
      // GraphQL errors (an array) are printed as such; a refused or dropped socket as `failed`.
      if (Array.isArray(err)) console.log(JSON.stringify({ errors: err }));
      else console.log(JSON.stringify({ failed: String(err && (err.reason || err.message || err)) }));
      process.exit(2);
    },
    complete: () => process.exit(0),
  },
);
