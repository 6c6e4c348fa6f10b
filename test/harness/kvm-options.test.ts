// The engine server's launch options: the per-request memory cap is on by default (issue 12).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_MAX_REQUEST_MB, engineServerArgv, engineServerOptions } from '../../harness/targets/kvm.ts';
import type { LaunchSpec } from '../../scenarios/scenario.ts';

const launch: LaunchSpec = { argv: ['/usr/bin/python3', 'app.py'], cwd: '/tmp', env: {}, readPaths: [] };

test('kvm targets pass a per-request memory cap by default', () => {
  const o = engineServerOptions('pages', {}, '/tmp/stats.json');
  assert.equal(o.maxRequestMb, DEFAULT_MAX_REQUEST_MB);
  const argv = engineServerArgv('isobench-server', launch, '127.0.0.1', 8080, o);
  const i = argv.indexOf('--max-request-mb');
  assert.ok(i > 0, `argv: ${argv.join(' ')}`);
  assert.equal(argv[i + 1], String(DEFAULT_MAX_REQUEST_MB));
});

test('maxRequestMb overrides the cap, 0 turns it off', () => {
  assert.equal(engineServerOptions('full', { maxRequestMb: 32 }, '/tmp/s.json').maxRequestMb, 32);
  const off = engineServerOptions('full', { maxRequestMb: 0 }, '/tmp/s.json');
  assert.ok(!engineServerArgv('isobench-server', launch, '127.0.0.1', 8080, off).includes('--max-request-mb'));
});
