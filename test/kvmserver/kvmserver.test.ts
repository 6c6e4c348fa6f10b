// The kvmserver target against a stand-in script that prints kvmserver's lines (no kvmserver
// is built or downloaded here): argument building, readiness on the "Program ... loaded" line,
// early death, and the skipped reason when no binary is supplied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LaunchSpec } from '../../scenarios/scenario.ts';
import {
  NOT_SUPPLIED,
  kvmserverArgv,
  kvmserverAvailability,
  kvmserverOptions,
  kvmserverTarget,
  startKvmserver,
} from '../../harness/targets/kvmserver.ts';
import { denoReactSsr } from '../../scenarios/deno-react-ssr/index.ts';
import { findFreePort } from '../../harness/process.ts';
import { get } from '../support/http.ts';

const launch: LaunchSpec = {
  argv: ['/opt/deno', 'run', '--allow-net', 'build/server.js', '--port', '9000'],
  env: { DENO_NO_UPDATE_CHECK: '1' },
  cwd: '/srv/scenario',
  readPaths: [],
};

function standIn(dir: string, body: string): string {
  const path = join(dir, 'kvmserver');
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

test('kvmserver: argv is ephemeral with our worker count and warm-up, program after --', () => {
  assert.deepEqual(kvmserverArgv('/k/kvmserver', launch, { threads: 2, warmup: 500 }, null), [
    '/k/kvmserver', '--threads', '2', '--warmup', '500', '--ephemeral', '--allow-read', '--allow-listen',
    '--cwd', '/srv/scenario', '--env', 'DENO_NO_UPDATE_CHECK=1', '--',
    '/opt/deno', 'run', '--allow-net', 'build/server.js', '--port', '9000',
  ]);
  const buffered = kvmserverArgv('/k/kvmserver', launch, { threads: 1, warmup: 0 }, '/usr/bin/stdbuf');
  assert.deepEqual(buffered.slice(0, 4), ['/usr/bin/stdbuf', '-oL', '-eL', '/k/kvmserver']);
  assert.deepEqual(kvmserverOptions({ workers: 3, warmup: 100_000 }), { threads: 3, warmup: 65_535 });
  assert.deepEqual(kvmserverOptions({}), { threads: 1, warmup: 0 });
});

test('kvmserver: no binary gives the skipped reason; a bad path says why', async () => {
  assert.deepEqual(kvmserverAvailability({}, {}), { ok: false, reason: NOT_SUPPLIED });
  assert.deepEqual(kvmserverAvailability({ kvmserverPath: '' }, {}), { ok: false, reason: 'kvmserver not supplied' });
  const missing = kvmserverAvailability({ kvmserverPath: '/nonexistent/kvmserver' }, {});
  assert.equal(missing.ok, false);
  assert.match(missing.ok ? '' : missing.reason, /not found at \/nonexistent\/kvmserver/);
  const saved = process.env.KVMSERVER;
  delete process.env.KVMSERVER;
  try {
    assert.deepEqual(await kvmserverTarget.availability(denoReactSsr), { ok: false, reason: 'kvmserver not supplied' });
  } finally {
    if (saved !== undefined) process.env.KVMSERVER = saved;
  }
});

test('kvmserver: ready only after the "Program ... loaded" line, then serves the program', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'isobench-kvmserver-'));
  const marker = join(dir, 'loaded-printed');
  // Like kvmserver: start the program, warm it up, print the loaded line; here the "VM" is the
  // program itself, exec'd after the line so requests reach the real deno server.
  const binary = standIn(
    dir,
    `while [ "$1" != "--" ]; do shift; done; shift
echo "Warming up..." >&2
sleep 0.4
touch ${marker}
echo "Program '$1' loaded. epoll vm=1 ephemeral huge=0/0 init=400ms rss=80MB"
exec "$@"`,
  );
  let proc;
  try {
    await denoReactSsr.build();
    const settings = { host: '127.0.0.1', port: await findFreePort('127.0.0.1') };
    const spec = denoReactSsr.launch(settings);
    const started = Date.now();
    proc = await startKvmserver({ argv: kvmserverArgv(binary, spec, kvmserverOptions({}), null), cwd: spec.cwd, cpus: null });
    assert.ok(existsSync(marker), 'resolved only after the loaded line was printed');
    assert.ok(Date.now() - started >= 400);
    assert.match(proc.loadedLine, /^Program '.*\/deno' loaded\. epoll vm=1 ephemeral/);
    // the stand-in exec'd deno; kvmserver's own readiness is the line, so deno may still be binding
    let page;
    for (let i = 0; i < 100 && !page; i++) page = await get(`http://127.0.0.1:${settings.port}/`).catch(() => new Promise((r) => setTimeout(r, 50)).then(() => undefined));
    assert.ok(page, 'the program answers after the loaded line');
    assert.equal(denoReactSsr.routes[0]!.check(page.status, page.body), null);
  } finally {
    await proc?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kvmserver: dying before the loaded line is a clear error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'isobench-kvmserver-'));
  try {
    const binary = standIn(dir, 'echo "Error: Program not found on path: deno" >&2\nexit 1');
    await assert.rejects(
      startKvmserver({ argv: [binary, '--', 'deno'], cwd: dir, cpus: null }),
      /kvmserver exited with code 1 before it loaded the program: Error: Program not found on path: deno/,
    );
    const silent = standIn(dir, 'sleep 30');
    await assert.rejects(startKvmserver({ argv: [silent], cwd: dir, cpus: null, readyTimeoutMs: 300 }), /no "Program \.\.\. loaded" line after 0\.3 s/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
