// The V8 engine of the wasm target, run as its own process:
//   node --import tsx harness/targets/wasm/server.ts --dir <jco output> --host H --port P
// Core wasm modules are compiled once at start; every request gets a fresh component instance
// (new linear memories, new globals, the JS glue's own tables), is served by it, and the
// instance is dropped. The same model as `jco serve --isolate-requests instance`, with the
// WASI host sandboxed: no preopened directories, empty environment, no outbound network.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { TRANSPILED_NAME } from './component.ts';

interface IncomingHandler {
  handle(request: unknown, responseOut: unknown): void;
}
type Instantiate = (
  getCoreModule: (path: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
) => { incomingHandler?: IncomingHandler };

function option(name: string): string {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? process.argv[at + 1] : undefined;
  if (!value) {
    console.error(`wasm server: missing --${name}`);
    process.exit(2);
  }
  return value;
}

// the node build of preview2-shim has HTTPServer; its published typings (browser) do not
const { HTTPServer } = (await import('@bytecodealliance/preview2-shim/http')) as unknown as {
  HTTPServer: new (handler: IncomingHandler) => { listen(port: number, host: string): void; stop(): void };
};

const dir = option('dir');
const host = option('host');
const port = Number(option('port'));

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
const shim = new WASIShim({ sandbox: { preopens: {}, env: {}, args: ['component'], enableNetwork: false } });
const imports = shim.getImportObject() as Record<string, unknown>;

// per-request instantiation cost, summarised on exit (stderr) for whoever wants it
let requests = 0;
let instantiateUsTotal = 0;
let instantiateUsMax = 0;

const isolatedHandler: IncomingHandler = {
  handle(request, responseOut) {
    const started = performance.now();
    const instance = instantiate(getCoreModule, imports);
    const instantiateUs = (performance.now() - started) * 1000;
    requests += 1;
    instantiateUsTotal += instantiateUs;
    instantiateUsMax = Math.max(instantiateUsMax, instantiateUs);
    if (typeof instance.incomingHandler?.handle !== 'function') throw new Error('component exports no wasi:http incoming-handler');
    instance.incomingHandler.handle(request, responseOut);
  },
};

// Warm up on a private port before listening on the real one: the first instances pay for V8's
// lazy compilation of the 15 MB engine module (~1 s, more when pinned to one CPU), and
// preview2-shim's HTTPServer wedges for good when a client gives up on a response mid-way
// (see harness/targets/wasm/README.md), so the harness's readiness probe must never wait on that.
const warmupServer = new HTTPServer(isolatedHandler);
warmupServer.listen(0, '127.0.0.1');
const warmupPort = (warmupServer as unknown as { address(): { port: number } }).address().port;
const warmupStarted = performance.now();
for (const path of ['/hello', '/', '/']) {
  const response = await fetch(`http://127.0.0.1:${warmupPort}${path}`);
  await response.arrayBuffer();
}
warmupServer.stop();
console.log(`wasm server: warmed up (3 instances) in ${(performance.now() - warmupStarted).toFixed(0)} ms`);
requests = 0;
instantiateUsTotal = 0;
instantiateUsMax = 0;

const server = new HTTPServer(isolatedHandler);
server.listen(port, host);
console.log(`wasm server listening on http://${host}:${port}/ (core modules compiled in ${compileMs.toFixed(0)} ms)`);

function shutdown(): void {
  const mean = requests ? instantiateUsTotal / requests : 0;
  console.error(`wasm server: ${requests} requests, instantiate mean ${mean.toFixed(0)} µs, max ${instantiateUsMax.toFixed(0)} µs`);
  server.stop();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
