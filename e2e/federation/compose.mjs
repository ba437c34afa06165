// compose.mjs composes federated subgraph SDL files into a supergraph with
// Apollo's composer (@apollo/composition), as a router's build would.
//
//   node compose.mjs name=path/to/name.graphql ... (or just paths: the name
//   is the file name up to its first dot)
//
// It prints one JSON object on stdout:
//   {"ok": bool, "errors": [{"code", "message"}], "hints": [{"code", "message"}],
//    "supergraphSdl": string | null}
// and exits 0 when composition succeeds, 1 when it fails, 2 when it could
// not run (a file missing, bad arguments).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'graphql';
import { composeServices } from '@apollo/composition';

function usage(msg) {
  // stderr is written synchronously, so exiting at once loses nothing.
  process.stderr.write(`compose.mjs: ${msg}\nusage: node compose.mjs [name=]file.graphql ...\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.length === 0) usage('no subgraph files');

const services = [];
for (const arg of args) {
  const eq = arg.indexOf('=');
  const file = eq > 0 ? arg.slice(eq + 1) : arg;
  const name = eq > 0 ? arg.slice(0, eq) : basename(file).split('.')[0];
  let sdl;
  try {
    sdl = readFileSync(file, 'utf8');
  } catch (e) {
    usage(`reading ${file}: ${e.message}`);
  }
  let typeDefs;
  try {
    typeDefs = parse(sdl);
  } catch (e) {
    usage(`parsing ${file}: ${e.message}`);
  }
  // The URL is not used by composition, but the supergraph records one.
  services.push({ name, typeDefs, url: `http://${name}.invalid/graphql` });
}

const result = composeServices(services);
const errors = (result.errors ?? []).map((e) => ({
  code: e.extensions?.code ?? null,
  message: e.message,
}));
const hints = (result.hints ?? []).map((h) => ({
  code: h.definition?.code ?? null,
  message: h.message,
}));
const ok = errors.length === 0;
process.stdout.write(
  JSON.stringify({ ok, errors, hints, supergraphSdl: ok ? result.supergraphSdl : null }, null, 2) + '\n',
);
// exitCode, not exit(): stdout to a pipe is written asynchronously, and
// exiting at once would cut the JSON short.
process.exitCode = ok ? 0 : 1;
