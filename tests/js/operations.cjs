// A real graphql-ws client on ONE socket running several operations in turn, as a long-lived
// integration would: connects with a bearer credential in `connectionParams`, runs the first
// operation, and before each next one waits for a line on stdin (so a test can change the world
// in between: revoke the token, uninstall the shop). Prints one JSON line per result:
// {"connected":true}, then {"data":…} or {"errors":…} per operation, or {"failed":…}.
// Usage: node operations.cjs <ws url> <Authorization value> <operation>...
const { createClient } = require("graphql-ws");
const WebSocket = require("ws");
const readline = require("readline");

const [url, authorization, ...operations] = process.argv.slice(2);
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: authorization },
  retryAttempts: 0,
  lazy: false,
  on: { connected: () => console.log(JSON.stringify({ connected: true })) },
});

function run(query) {
  return new Promise((resolve) => {
    let done = false;
    client.subscribe(
      { query },
      {
        next: (msg) => {
          if (!done) console.log(JSON.stringify(msg));
          done = true;
        },
        error: (err) => {
          if (Array.isArray(err)) console.log(JSON.stringify({ errors: err }));
          else console.log(JSON.stringify({ failed: String(err && (err.reason || err.message || err)) }));
          resolve();
        },
        complete: () => resolve(),
      },
    );
  });
}

(async () => {
  for (let i = 0; i < operations.length; i++) {
    if (i > 0) await lines.next();
    await run(operations[i]);
  }
  client.dispose();
  process.exit(0);
})();
