// The wasm target's server for WSGI apps: CPython compiled to WebAssembly (the `pyodide` npm
// package, run offline from its own files) in Node's V8, a fresh interpreter instance per request:
//   node --import tsx harness/targets/wasm/pyodide-server.ts --app APP.py --callable NAME
//        --instance cold|snapshot --host H --port P [--stats-file F]
// cold: every request boots a new interpreter (loadPyodide: new linear memory, stdlib unpacked,
// Python initialised) and imports the app. snapshot: at start one interpreter imports the app and
// its linear memory is saved (makeMemorySnapshot); every request gets a new instance restored from
// that memory. Either way the instance serves that one request and is dropped. The wasm module is
// compiled once at start; only instantiation happens per request.
// Sandbox: no network (fetch throws), Python's `js` module sees an empty object rather than Node's
// globals, an empty environment, an in-memory file system with only the app in it.
// Stats: SIGUSR1 writes the per-request instance-creation times to --stats-file, SIGUSR2 clears them.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { InstantiationStats } from './stats.ts';

import { READY_PATH } from './pyodide.ts';
import { handleServerSignals, serverOption } from './server-args.ts';

const option = (name: string, required = true) => serverOption('pyodide server', name, required);

const appFile = option('app')!;
const callable = option('callable')!;
const instanceMode = option('instance')!;
const host = option('host')!;
const port = Number(option('port'));
const statsFile = option('stats-file', false);
if (instanceMode !== 'cold' && instanceMode !== 'snapshot') {
  console.error(`pyodide server: --instance must be cold or snapshot, got ${instanceMode}`);
  process.exit(2);
}

// Offline by construction: pyodide reads its files from the package folder; anything that would
// fetch fails loudly instead.
globalThis.fetch = () => Promise.reject(new Error('pyodide server: network access denied'));

const require = createRequire(import.meta.url);
const PYODIDE_DIR = path.dirname(require.resolve('pyodide/package.json'));
const wasmBytes = readFileSync(path.join(PYODIDE_DIR, 'pyodide.asm.wasm'));
const compileStarted = performance.now();
const compiled = new WebAssembly.Module(wasmBytes);
const compileMs = performance.now() - compileStarted;

// pyodide instantiates pyodide.asm.wasm from its bytes, which would compile it again for every
// instance; hand it the module compiled above, and time the WebAssembly instantiation itself.
let coreNs = 0n;
const instantiate = WebAssembly.instantiate.bind(WebAssembly) as (source: unknown, imports?: WebAssembly.Imports) => Promise<unknown>;
(WebAssembly as { instantiate: unknown }).instantiate = async (source: unknown, imports?: WebAssembly.Imports) => {
  if (source instanceof WebAssembly.Module || (source as ArrayBufferView | ArrayBuffer | undefined)?.byteLength !== wasmBytes.byteLength) {
    return instantiate(source, imports);
  }
  const started = process.hrtime.bigint();
  const instance = await WebAssembly.instantiate(compiled, imports ?? {});
  coreNs += process.hrtime.bigint() - started;
  return { instance, module: compiled };
};

type PyProxy = { toJs(): unknown; destroy(): void };
type Interpreter = {
  FS: { writeFile(path: string, data: Uint8Array): void; mkdirTree(path: string): void };
  runPython(code: string): unknown;
  globals: { get(name: string): (...args: unknown[]) => PyProxy };
  makeMemorySnapshot(): Uint8Array;
};
const { loadPyodide, version: pyodideVersion } = (await import('pyodide')) as unknown as {
  loadPyodide(options: Record<string, unknown>): Promise<Interpreter>;
  version: string;
};

const APP_DIR = '/app';
const moduleName = path.basename(appFile).replace(/\.py$/, '');
const appSource = readFileSync(appFile);
// One WSGI call: environ from the request, start_response, the body joined. Defined in the
// interpreter once the app is imported (before the snapshot, so it is part of it).
const BOOT = `
import io, sys
sys.path.insert(0, ${JSON.stringify(APP_DIR)})
import ${moduleName} as _isobench_app_module
_isobench_app = getattr(_isobench_app_module, ${JSON.stringify(callable)})

def _isobench_call(method, path, query, body, headers):
    environ = {
        'REQUEST_METHOD': method, 'SCRIPT_NAME': '', 'PATH_INFO': path, 'QUERY_STRING': query,
        'SERVER_NAME': ${JSON.stringify(host)}, 'SERVER_PORT': ${JSON.stringify(String(port))}, 'SERVER_PROTOCOL': 'HTTP/1.1',
        'CONTENT_LENGTH': str(len(body)), 'CONTENT_TYPE': '',
        'wsgi.version': (1, 0), 'wsgi.url_scheme': 'http', 'wsgi.input': io.BytesIO(bytes(body)), 'wsgi.errors': sys.stderr,
        'wsgi.multithread': False, 'wsgi.multiprocess': False, 'wsgi.run_once': True,
    }
    for name, value in headers:
        key = name.upper().replace('-', '_')
        if key == 'CONTENT_TYPE':
            environ['CONTENT_TYPE'] = value
        elif key != 'CONTENT_LENGTH':
            environ['HTTP_' + key] = value
    answer = []
    def start_response(status, response_headers, exc_info=None):
        answer[:] = [status, [list(h) for h in response_headers]]
    chunks = _isobench_app(environ, start_response)
    try:
        body_out = b''.join(chunks)
    finally:
        if hasattr(chunks, 'close'):
            chunks.close()
    return answer[0], answer[1], body_out
`;

const baseOptions = {
  indexURL: PYODIDE_DIR + path.sep,
  jsglobals: {},
  env: { HOME: '/home/pyodide' },
  stdout: (line: string) => console.log(`python: ${line}`),
  stderr: (line: string) => console.error(`python: ${line}`),
  checkAPIVersion: true,
};

function importApp(py: Interpreter): void {
  py.FS.mkdirTree(APP_DIR);
  py.FS.writeFile(`${APP_DIR}/${moduleName}.py`, appSource);
  py.runPython(BOOT);
}

let snapshot: Uint8Array | null = null;
const snapshotFacts: Record<string, number> = {};
if (instanceMode === 'snapshot') {
  const started = performance.now();
  const base = await loadPyodide({ ...baseOptions, _makeSnapshot: true });
  importApp(base);
  snapshot = base.makeMemorySnapshot();
  snapshotFacts.snapshotBytes = snapshot.byteLength;
  snapshotFacts.snapshotMakeMs = Math.round(performance.now() - started);
}

const stats = new InstantiationStats();

/** a new interpreter with the app imported, timed: total, and the part in WebAssembly.instantiate */
async function freshInstance(): Promise<Interpreter> {
  coreNs = 0n;
  const started = process.hrtime.bigint();
  const py = snapshot ? await loadPyodide({ ...baseOptions, _loadSnapshot: snapshot }) : await loadPyodide(baseOptions);
  if (!snapshot) importApp(py);
  stats.record(Number(process.hrtime.bigint() - started) / 1000, Number(coreNs) / 1000);
  return py;
}

interface Answer {
  status: number;
  reason: string;
  headers: [string, string][];
  body: Uint8Array;
}

async function serveOne(method: string, url: string, headers: [string, string][], body: Uint8Array): Promise<Answer> {
  const py = await freshInstance();
  const started = process.hrtime.bigint();
  const [pathPart, query = ''] = url.split('?', 2) as [string, string?];
  const result = py.globals.get('_isobench_call')(method, decodeURIComponent(pathPart), query, body, headers);
  const [statusLine, responseHeaders, responseBody] = result.toJs() as [string, [string, string][], Uint8Array];
  result.destroy();
  stats.recordHandle(Number(process.hrtime.bigint() - started) / 1000);
  const [code, ...reason] = statusLine.split(' ');
  return { status: Number(code), reason: reason.join(' '), headers: responseHeaders, body: responseBody };
}

const server = http.createServer((req, res) => {
  req.on('error', () => {});
  res.on('error', () => {});
  if (req.url === READY_PATH) {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ready\n');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const headers = Object.entries(req.headersDistinct).flatMap(([name, values]) => (values ?? []).map((v) => [name, v] as [string, string]));
    serveOne(req.method ?? 'GET', req.url ?? '/', headers, new Uint8Array(Buffer.concat(chunks))).then(
      (answer) => {
        res.writeHead(answer.status, answer.reason, answer.headers);
        res.end(answer.body);
      },
      (err: unknown) => {
        stats.failed += 1;
        console.error(`pyodide server: ${req.method} ${req.url}: ${(err as Error).message.split('\n').slice(-2).join(' ')}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('the WSGI app failed to handle the request\n');
      },
    );
  });
});

// The first instances pay for V8's tier-up of the interpreter's code; serve some before listening
// (a cold instance already runs the whole boot, so one is enough there).
const warmupStarted = performance.now();
const warmupInstances = instanceMode === 'cold' ? 1 : 2;
for (let i = 0; i < warmupInstances; i++) await serveOne('GET', '/', [], new Uint8Array(0));
console.log(`pyodide server: warmed up (${warmupInstances} ${instanceMode} instances) in ${(performance.now() - warmupStarted).toFixed(0)} ms`);
stats.reset();

handleServerSignals(
  server,
  statsFile,
  () => ({ ...stats.summary(), instance: instanceMode, pyodide: pyodideVersion, wasmCompileMs: Math.round(compileMs), ...snapshotFacts }),
  () => stats.reset(),
  () => {
    const s = stats.summary();
    return `pyodide server: ${s.requests} ${instanceMode} instances, creation p50 ${s.instantiateUs?.p50 ?? 0} µs`;
  },
);

server.listen(port, host, () => {
  console.log(`pyodide server listening on http://${host}:${port}/ (pyodide ${pyodideVersion}, ${instanceMode} instance per request, wasm compiled in ${compileMs.toFixed(0)} ms)`);
});
