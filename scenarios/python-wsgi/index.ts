// python-wsgi: a WSGI app on the standard library's wsgiref, single-threaded, closing every connection.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Availability, Route, Scenario, ScenarioSettings } from '../scenario.ts';
import { probeList } from '../probes.ts';

const dir = path.dirname(fileURLToPath(import.meta.url));
const appPath = path.join(dir, 'app.py');

/** settings.python, else $ISOBENCH_PYTHON, else Debian's python3 (a pyenv shim may shadow python3 on PATH) */
export function pythonFor(settings?: Partial<ScenarioSettings>): string {
  const fromSettings = settings?.python;
  if (typeof fromSettings === 'string' && fromSettings) return fromSettings;
  return process.env.ISOBENCH_PYTHON || '/usr/bin/python3';
}

function delayMsOf(settings: ScenarioSettings): number {
  const d = settings.delayMs ?? 0;
  const n = typeof d === 'string' ? Number(d) : d;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new Error(`python-wsgi: delayMs must be a number >= 0, got ${String(d)}`);
  return n;
}

export const PAGE_PRODUCTS = 50;

const routes: Route[] = [
  {
    name: 'hello',
    path: '/',
    check: (status, body) =>
      status !== 200 ? `status ${status}` : body === 'Hello, World!\n' ? null : `unexpected body ${JSON.stringify(body.slice(0, 40))}`,
  },
  {
    name: 'page',
    path: '/page',
    check(status, body) {
      if (status !== 200) return `status ${status}`;
      if (!body.startsWith('<!DOCTYPE html>') || !body.trimEnd().endsWith('</html>')) return 'not a complete HTML page';
      const rows = body.match(/<tr><td>SKU-\d{4}<\/td>/g)?.length ?? 0;
      if (rows !== PAGE_PRODUCTS) return `expected ${PAGE_PRODUCTS} product rows, got ${rows}`;
      if (!body.includes('Toys &lt;Kids&gt;') || body.includes('<Kids>')) return 'category names not HTML-escaped';
      if (!body.includes('&quot;Deluxe&quot; &amp; more')) return 'product names not HTML-escaped';
      if (!body.includes(`<p id="summary">${PAGE_PRODUCTS} products, total `)) return 'summary missing';
      return null;
    },
  },
];

// generous: an interpreter start under full CPU emulation on a loaded machine (the QEMU test bed)
// took 29 s to over 60 s; a healthy machine answers in well under a second
const PROBE_TIMEOUT_MS = 180_000;

function run(program: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile(program, args, { timeout: PROBE_TIMEOUT_MS }, (err, stdout, stderr) =>
      resolve({ ok: !err, out: (stdout || stderr || (err?.message ?? '')).trim() }),
    );
  });
}

/** Directories the interpreter reads: its binary, its standard library, shared libraries. */
function pythonReadPaths(python: string): string[] {
  const paths = new Set<string>([python, appPath, '/etc/ld.so.cache', '/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu']);
  try {
    paths.add(realpathSync(python));
  } catch {
    // reported by availability()
  }
  try {
    for (const entry of readdirSync('/usr/lib')) if (/^python3(\.\d+)?$/.test(entry)) paths.add(`/usr/lib/${entry}`);
  } catch {
    // not a Debian layout; the sandbox will say what it could not read
  }
  return [...paths];
}

export const pythonWsgi: Scenario = {
  name: 'python-wsgi',
  description: 'WSGI app on wsgiref (single-threaded, one connection per request): hello world and a 6 KB escaped listing page',
  routes,
  // wsgiref answers HTTP/1.0 and closes every connection; autocannon's latencies are wrong against
  // such servers (it reported ~650 ms for a ~300 µs response), so keep-alive load does not apply.
  keepAlive: false,
  probePath: '/probe',
  probes: probeList(),

  async availability(): Promise<Availability> {
    const python = pythonFor();
    if (!existsSync(python)) return { ok: false, reason: `python not found at ${python} (set ISOBENCH_PYTHON)` };
    const r = await run(python, ['-c', 'import wsgiref.simple_server, sys; print(sys.version.split()[0])']);
    return r.ok ? { ok: true, version: `python ${r.out}` } : { ok: false, reason: `${python} does not run: ${r.out.split('\n').at(-1)}` };
  },

  async build() {
    // app.py uses only the standard library: nothing to build.
  },

  launch(settings: ScenarioSettings) {
    const python = pythonFor(settings);
    const delayMs = delayMsOf(settings);
    const argv = [python, '-u', appPath, '--host', settings.host, '--port', String(settings.port)];
    if (delayMs > 0) argv.push('--delay-ms', String(delayMs));
    return {
      argv,
      env: { PATH: '/usr/bin:/bin', PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', LANG: 'C.UTF-8' },
      cwd: dir,
      readPaths: pythonReadPaths(python),
    };
  },

  describeSettings(settings: ScenarioSettings) {
    return { python: pythonFor(settings), delayMs: delayMsOf(settings), server: 'wsgiref, single-threaded, request_queue_size 1024' };
  },
};
