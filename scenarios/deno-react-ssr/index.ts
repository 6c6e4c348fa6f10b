// Scenario deno-react-ssr: a React 19 product listing rendered on every request by Deno.serve.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Availability, LaunchSpec, Route, Scenario, ScenarioSettings } from '../scenario.ts';
import { probeList } from '../probes.ts';
import { BUILD_DIR, SCENARIO_DIR, bundle } from './bundle.ts';
import { PRODUCT_COUNT } from './app/data.ts';

export const DENO_SERVER_BUNDLE = join(BUILD_DIR, 'server.js');
export const WASM_ENTRY = join(SCENARIO_DIR, 'wasm', 'entry.ts');

/** the real deno executable inside the npm package (not the node shim in node_modules/.bin) */
export function denoBinary(): string | null {
  const fromEnv = process.env.DENO_BINARY;
  if (fromEnv) return existsSync(fromEnv) ? realpathSync(fromEnv) : null;
  try {
    const packageDir = dirname(createRequire(import.meta.url).resolve('deno/package.json'));
    const binary = join(packageDir, process.platform === 'win32' ? 'deno.exe' : 'deno');
    return existsSync(binary) ? realpathSync(binary) : null;
  } catch {
    return null;
  }
}

/** Checks the measured page: complete document, every product row, and a plausible size. */
export function checkPage(status: number, body: string): string | null {
  if (status !== 200) return `status ${status}, expected 200`;
  if (!body.startsWith('<!DOCTYPE html><html lang="en">')) return 'page does not start with the expected doctype/html';
  if (!body.endsWith('</html>')) return 'page is truncated (no closing </html>)';
  const rows = body.split('<tr id="p').length - 1;
  if (rows !== PRODUCT_COUNT) return `page has ${rows} product rows, expected ${PRODUCT_COUNT}`;
  if (!body.includes(`<footer id="end-of-page">${PRODUCT_COUNT} products</footer>`)) return 'page footer missing';
  const bytes = new TextEncoder().encode(body).length;
  if (bytes < 20_000 || bytes > 40_000) return `page is ${bytes} bytes, expected 20–40 KB`;
  return null;
}

const NO_FD_API = 'JavaScript on Deno with --allow-net has no pipe, socketpair, eventfd or epoll API (wasm: no fds at all)';

const routes: Route[] = [
  { name: 'page', path: '/', check: checkPage },
  {
    name: 'hello',
    path: '/hello',
    check: (status, body) =>
      status !== 200 ? `status ${status}, expected 200` : body === 'Hello, world!\n' ? null : 'unexpected hello body',
  },
];

function singleThreadedGc(settings: ScenarioSettings): boolean {
  return settings.singleThreadedGc !== false;
}

export const denoReactSsr: Scenario = {
  name: 'deno-react-ssr',
  description: `React 19 product listing (${PRODUCT_COUNT} rows, ~30 KB) rendered per request by Deno.serve`,
  routes,
  probePath: '/probe',
  probes: probeList({
    'fd-pipe': NO_FD_API,
    'fd-socketpair': NO_FD_API,
    'fd-eventfd': NO_FD_API,
    'fd-epoll': NO_FD_API,
    file: 'Deno runs with --allow-net only: no file reads or writes (wasm: no preopened directories)',
    'process-state': 'Deno runs with --allow-net only: env and cwd need --allow-env/--allow-read, umask and signals have no stable API (wasm: none)',
    clocks: 'Deno exposes no clock ids: performance.now and Date.now read only its own clocks (wasm: wasi clocks, same)',
    'random-boot': 'JavaScript cannot read AT_RANDOM or a native address (no FFI without --allow-ffi)',
  }),

  async availability(): Promise<Availability> {
    const binary = denoBinary();
    if (!binary) return { ok: false, reason: 'deno binary not found (npm package `deno`; run npm ci)' };
    const result = spawnSync(binary, ['--version'], { encoding: 'utf8', env: { ...process.env, DENO_NO_UPDATE_CHECK: '1' }, timeout: 20_000 });
    const match = /^deno (\S+)/.exec(result.stdout ?? '');
    if (result.status !== 0 || !match) return { ok: false, reason: `deno --version failed: ${(result.stderr ?? '').trim() || result.error?.message}` };
    return { ok: true, version: match[1] };
  },

  async build(): Promise<void> {
    await bundle(join(SCENARIO_DIR, 'deno', 'server.ts'), DENO_SERVER_BUNDLE);
  },

  launch(settings: ScenarioSettings): LaunchSpec {
    const binary = denoBinary();
    if (!binary) throw new Error('deno binary not found (npm package `deno`; run npm ci)');
    const v8Flags = singleThreadedGc(settings) ? ['--v8-flags=--single-threaded-gc'] : [];
    return {
      argv: [binary, 'run', '--allow-net', ...v8Flags, DENO_SERVER_BUNDLE, '--host', settings.host, '--port', String(settings.port)],
      env: { DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' },
      cwd: SCENARIO_DIR,
      readPaths: [binary, DENO_SERVER_BUNDLE],
    };
  },

  describeSettings(settings: ScenarioSettings): Record<string, unknown> {
    return {
      singleThreadedGc: singleThreadedGc(settings),
      v8Flags: singleThreadedGc(settings) ? '--single-threaded-gc' : '',
      renderer: 'react-dom/server renderToString (browser build, bundled by esbuild)',
      products: PRODUCT_COUNT,
    };
  },
};
