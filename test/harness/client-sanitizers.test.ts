// The C load client and trivial server, built with ASan+UBSan, pass their smoke test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { root } from './helpers.ts';

test('make -C native/client test (sanitizer builds, smoke test) passes', () => {
  const r = spawnSync('make', ['-s', '-C', path.join(root, 'native/client'), 'test'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /client smoke test: ok \(200 responses, 4 samples\)/);
});
