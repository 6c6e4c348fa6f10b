// The documented example of a user-defined workload (README "Your own workload"): a plain Node
// http server defined only by examples/node-http/isobench.scenario.json, run through the CLI with
// the README's command; `isobench init` gets a new user to the same first run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ResultsDocument } from '../../reports/results/types.ts';
import { runCli } from '../harness/helpers.ts';

const EXAMPLE = 'examples/node-http/isobench.scenario.json';
const out = mkdtempSync(path.join(tmpdir(), 'isobench-example-'));

function results(file: string): ResultsDocument {
  return JSON.parse(readFileSync(file, 'utf8')) as ResultsDocument;
}

test('README command: the example runs natively with real numbers on every route', async () => {
  const file = path.join(out, 'native.json');
  const r = await runCli(['run', '--scenario', EXAMPLE, '--target', 'native', '--requests', '200', '--no-tui', '--out', file]);
  assert.equal(r.code, 0, r.stderr);
  const doc = results(file);
  assert.deepEqual(doc.runs.map((row) => row.route), ['hello', 'items', 'echo']);
  for (const row of doc.runs) {
    assert.equal(row.status, 'ok', `${row.route}: ${row.reason}`);
    assert.equal(row.scenario, 'node-http');
    assert.match(row.engine!, /^native \(node v\d+/);
    assert.equal(row.requests, 200);
    assert.deepEqual(row.errors, {}, `${row.route}: ${JSON.stringify(row.errorExamples)}`);
    assert.ok(row.checkedResponses as number > 0, `${row.route}: no response body was checked`);
    assert.ok(row.latencyUs!.p50 > 0 && row.latencyUs!.p50 <= row.latencyUs!.p99 && row.rps! > 0);
    assert.equal(row.isolation?.verdict, 'shared', 'the probe counter grows natively');
  }
  assert.deepEqual((doc.settings.scenarios as Record<string, Record<string, unknown>>)['node-http']!.items, 20);
});

test('kvm targets run the example where /dev/kvm exists, else give skipped with the reason', { skip: existsSync('/dev/kvm') && 'this machine has /dev/kvm: the kvm rows run here' }, async () => {
  const file = path.join(out, 'kvm.json');
  const r = await runCli(['run', '--scenario', EXAMPLE, '--route', 'hello', '--target', 'kvm-pages', '--target', 'kvm-full', '--requests', '20', '--no-tui', '--out', file]);
  const doc = results(file);
  assert.deepEqual(doc.runs.map((row) => [row.target, row.status, row.reason]), [
    ['kvm-pages', 'skipped', '/dev/kvm is absent'],
    ['kvm-full', 'skipped', '/dev/kvm is absent'],
  ]);
  assert.match(r.stdout, /kvm-pages .*skipped/);
});

test('the example has no wasm build: its wasm rows say so', async () => {
  const file = path.join(out, 'wasm.json');
  await runCli(['run', '--scenario', EXAMPLE, '--route', 'hello', '--target', 'wasm', '--requests', '5', '--no-tui', '--out', file]);
  const [row] = results(file).runs;
  assert.equal(row!.status, 'skipped');
  assert.match(row!.reason!, /no wasm build for scenario node-http/);
});

test('isobench init DIR writes a scenario file and server that run as they are, and never overwrites', async () => {
  const dir = path.join(out, 'My App');
  const init = await runCli(['init', dir]);
  assert.equal(init.code, 0, init.stderr);
  const scenarioFile = path.join(dir, 'isobench.scenario.json');
  assert.match(init.stdout, /first run: +npx isobench run --scenario .*isobench\.scenario\.json --target native --requests 200/);
  assert.equal((JSON.parse(readFileSync(scenarioFile, 'utf8')) as { name: string }).name, 'my-app');
  const file = path.join(out, 'init.json');
  const r = await runCli(['run', '--scenario', scenarioFile, '--target', 'native', '--route', 'hello', '--requests', '50', '--warmup', '10', '--no-tui', '--out', file]);
  assert.equal(r.code, 0, r.stderr);
  const [row] = results(file).runs;
  assert.equal(row!.status, 'ok');
  assert.equal(row!.scenario, 'my-app');
  const again = await runCli(['init', dir]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /^isobench: init: .* already exist; not overwriting\n$/);
});
