// Drives a graphql-transport-ws server with the reference graphql-ws client,
// for the access matrix (e2e/access_matrix_ws_test.go): many operations on one
// connection, started while it runs.
//
//   node matrix.mjs <ws-url>
//
// It connects with connectionParams {authorization: $WS_AUTHORIZATION} when
// that is set and not empty, and with no authorization at all otherwise (an
// anonymous client; subscribe.mjs always sends one). Each line on stdin is an
// operation to start, {"id": "...", "query": "...", "variables": {...}}
// (a subscription, or a query answered once). Each line on stdout is what
// happened, as JSON:
//
//   {"type": "connected"}                       the server acknowledged
//   {"id": ..., "type": "next", "payload": ...}  a result of operation id
//   {"id": ..., "type": "error", "error": ...}   operation id failed
//   {"id": ..., "type": "complete"}              operation id ended
//   {"type": "closed", "code": ..., "reason": ...}
//
// When stdin closes, every operation is stopped (the client sends complete),
// the socket is closed and the process exits 0. It gives up after 60 s.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import readline from 'node:readline';

const [url] = process.argv.slice(2);
if (!url) {
  console.error('usage: node matrix.mjs <ws-url>');
  process.exit(2);
}

const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const timer = setTimeout(() => {
  out({ type: 'timeout' });
  process.exit(1);
}, 60000);

const authorization = process.env.WS_AUTHORIZATION;
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: authorization ? { authorization } : {},
  retryAttempts: 0,
  lazy: false,
  on: {
    connected: () => out({ type: 'connected' }),
    closed: (e) => out({ type: 'closed', code: e && e.code, reason: e && e.reason }),
  },
});

// errorOf turns what graphql-ws hands an error sink (GraphQL errors, a
// CloseEvent or an Error) into JSON.
function errorOf(e) {
  if (Array.isArray(e)) return e;
  if (e instanceof Error) return { message: e.message };
  if (e && typeof e === 'object' && 'code' in e) return { closeCode: e.code, reason: e.reason };
  return e;
}

const stops = [];
const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (!line.trim()) return;
  let op;
  try {
    op = JSON.parse(line);
  } catch (err) {
    out({ type: 'bad-input', line });
    return;
  }
  stops.push(
    client.subscribe(
      { query: op.query, variables: op.variables || {} },
      {
        next: (payload) => out({ id: op.id, type: 'next', payload }),
        error: (e) => out({ id: op.id, type: 'error', error: errorOf(e) }),
        complete: () => out({ id: op.id, type: 'complete' }),
      },
    ),
  );
});
lines.on('close', async () => {
  for (const stop of stops) stop();
  await client.dispose();
  clearTimeout(timer);
  process.exit(0);
});
