// The V8 engine of the wasm target, run as its own process:
//   node --import tsx harness/targets/wasm/server.ts --dir <jco output> --host H --port P [--stats-file F]
// Core wasm modules are compiled once at start; every request gets a fresh component instance
// (new linear memories, new globals, the bindings' own resource tables), is served by it through
// the component's wasi:http incoming-handler, and the instance is dropped. Node's own HTTP server
// takes the connections and the WASI host is in-process (host.ts): no worker thread, no
// preopened directories, empty environment, no outbound network.
// Stats: SIGUSR1 writes per-request instantiation times to --stats-file, SIGUSR2 clears them.
import http from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TRANSPILED_NAME } from './component.ts';
import { serveOne, wasiHttpImports, type RequestHead } from './host.ts';
import { InstantiationStats } from './stats.ts';
import { handleServerSignals, serverOption } from './server-args.ts';

type IncomingHandler = Parameters<typeof serveOne>[0];
type InstantiateCore = (module: WebAssembly.Module, imports?: WebAssembly.Imports) => WebAssembly.Instance;
type Instantiate = (
  getCoreModule: (path: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore?: InstantiateCore,
) => { incomingHandler?: IncomingHandler };

const MAX_REQUEST_BODY = 1 << 20;

const option = (name: string, required = true) => serverOption('wasm server', name, required);

const dir = option('dir')!;
const host = option('host')!;
const port = Number(option('port'));
const statsFile = option('stats-file', false);

const compileStarted = performance.now();
const coreModules = new Map<string, WebAssembly.Module>();
for (const file of readdirSync(dir).filter((name) => name.endsWith('.wasm'))) {
  coreModules.set(file, new WebAssembly.Module(readFileSync(join(dir, file))));
}
const compileMs = performance.now() - compileStarted;
const getCoreModule = (path: string): WebAssembly.Module => {
  const module = coreModules.get(path);
  if (!module) throw new Error(`component asks for unknown core module ${path}`);
  return module;
};

const { instantiate } = (await import(pathToFileURL(join(dir, `${TRANSPILED_NAME}.js`)).href)) as { instantiate: Instantiate };
const imports = wasiHttpImports();
const stats = new InstantiationStats();

/** a fresh component instance, timed: total, and the part spent in WebAssembly.Instance */
function freshInstance(): IncomingHandler {
  let coreNs = 0n;
  const timedCore: InstantiateCore = (module, coreImports) => {
    const started = process.hrtime.bigint();
    try {
      return new WebAssembly.Instance(module, coreImports);
    } finally {
      coreNs += process.hrtime.bigint() - started;
    }
  };
  const started = process.hrtime.bigint();
  const instance = instantiate(getCoreModule, imports, timedCore);
  const totalNs = process.hrtime.bigint() - started;
  stats.record(Number(totalNs) / 1000, Number(coreNs) / 1000);
  if (typeof instance.incomingHandler?.handle !== 'function') throw new Error('component exports no wasi:http incoming-handler');
  return instance.incomingHandler;
}

function requestHead(req: http.IncomingMessage, body: Buffer): RequestHead {
  const headers: [string, string][] = [];
  for (const [name, values] of Object.entries(req.headersDistinct)) for (const value of values ?? []) headers.push([name, value]);
  return { method: req.method ?? 'GET', pathWithQuery: req.url ?? '/', authority: req.headers.host ?? `${host}:${port}`, headers, body };
}

function respond(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
  let answer;
  try {
    const handler = freshInstance();
    const started = process.hrtime.bigint();
    answer = serveOne(handler, requestHead(req, body));
    stats.recordHandle(Number(process.hrtime.bigint() - started) / 1000);
  } catch (err) {
    stats.failed += 1;
    console.error(`wasm server: ${req.method} ${req.url}: ${(err as Error).message}`);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('the component failed to handle the request\n');
    return;
  }
  res.writeHead(answer.status, groupHeaders(answer.headers));
  res.end(answer.body);
}

function groupHeaders(entries: [string, string][]): Record<string, string | string[]> {
  const grouped: Record<string, string[]> = {};
  for (const [name, value] of entries) (grouped[name] ??= []).push(value);
  return grouped;
}

const server = http.createServer((req, res) => {
  // a client that goes away only loses its own response; nothing waits on it
  req.on('error', () => {});
  res.on('error', () => {});
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_REQUEST_BODY) {
      res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' });
      res.end('request body too large\n');
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_REQUEST_BODY || res.destroyed) return;
    respond(req, res, Buffer.concat(chunks));
  });
});

// The first instances pay for V8's lazy compilation of the engine module's functions (~1 s,
// more when pinned to one CPU); serve a few in-process before listening, so the harness's
// readiness probe does not time out on them.
const warmupStarted = performance.now();
for (const path of ['/hello', '/', '/']) {
  serveOne(freshInstance(), { method: 'GET', pathWithQuery: path, authority: `${host}:${port}`, headers: [], body: Buffer.alloc(0) });
}
console.log(`wasm server: warmed up (3 instances) in ${(performance.now() - warmupStarted).toFixed(0)} ms`);
stats.reset();

handleServerSignals(
  server,
  statsFile,
  () => stats.summary(),
  () => stats.reset(),
  () => {
    const s = stats.summary();
    return `wasm server: ${s.requests} instances, instantiate p50 ${s.instantiateUs?.p50 ?? 0} µs, mean ${s.instantiateUs?.mean ?? 0} µs`;
  },
);

server.listen(port, host, () => {
  console.log(`wasm server listening on http://${host}:${port}/ (core modules compiled in ${compileMs.toFixed(0)} ms)`);
});
