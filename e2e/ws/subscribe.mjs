// Drives a graphql-transport-ws server with the reference graphql-ws client.
//
//   node subscribe.mjs <ws-url> <subscription> <count> [query]
//
// It connects with connectionParams {authorization: $WS_AUTHORIZATION} (default
// "Bearer x"), writes "connected" on stderr once the server acknowledged, collects
// <count> results of the subscription (then stops it, which sends complete),
// runs [query] once over the same socket when given, and prints
// {"next": [...], "query": {...}} as JSON on stdout. Any failure exits 1 with
// the reason on stderr. pkg/graphqlws's npm_client_test.go and the e2e
// subscription tests run it.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, subscription, countArg, query] = process.argv.slice(2);
const count = Number(countArg);
if (!url || !subscription || !Number.isInteger(count) || count < 1) {
  console.error('usage: node subscribe.mjs <ws-url> <subscription> <count> [query]');
  process.exit(2);
}

const timer = setTimeout(() => {
  console.error('timed out');
  process.exit(1);
}, 15000);

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: process.env.WS_AUTHORIZATION || 'Bearer x' },
  on: { connected: () => console.error('connected') },
  retryAttempts: 0,
  lazy: true,
});

try {
  const next = [];
  const sub = client.iterate({ query: subscription });
  for await (const result of sub) {
    next.push(result);
    if (next.length >= count) break; // return() sends complete to the server
  }
  const out = { next };
  if (query) {
    const results = [];
    for await (const result of client.iterate({ query })) results.push(result);
    out.query = results;
  }
  process.stdout.write(JSON.stringify(out) + '\n');
  await client.dispose();
  clearTimeout(timer);
} catch (err) {
  console.error('graphql-ws client failed:', err instanceof Error ? err.message : JSON.stringify(err));
  process.exit(1);
}
