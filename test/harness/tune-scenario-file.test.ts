// `isobench tune --scenario FILE` loads a scenario file as `run` does (it used to accept built-in
// names only: "unknown scenario 'examples/node-http/isobench.scenario.json'"): the file's routes
// and settings are checked before anything runs, and the sweep runs the loaded scenario.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runCli, root } from './helpers.ts';
import { loadScenarioFile } from '../../scenarios/file/load.ts';
import { runTune } from '../../harness/tune/tune.ts';
import type { BenchOptions } from '../../harness/gate/bench.ts';
import { fixtureDocument } from '../gate/fixture-documents.ts';

const EXAMPLE = 'examples/node-http/isobench.scenario.json';

function oneLine(r: { code: number | null; stdout: string; stderr: string }, message: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, message);
  assert.equal(r.stderr.trim().split('\n').length, 1, `more than one line: ${r.stderr}`);
  assert.equal(r.stdout, '');
}

test('tune --scenario FILE: the file\'s routes are the ones checked', async () => {
  oneLine(await runCli(['tune', '--scenario', EXAMPLE, '--route', 'nosuch']), /^isobench: tune: no scenario has route 'nosuch' \(known: hello, items, echo\)\n$/);
});

test('tune --scenario FILE: settings the file declares are accepted, others refused', async () => {
  oneLine(await runCli(['tune', '--scenario', EXAMPLE, '--set', 'nosuchkey=1']), /^isobench: tune: --set unknown setting 'nosuchkey' \(known: .*\bitems\)/);
});

test('tune --scenario FILE that does not exist: one line', async () => {
  oneLine(await runCli(['tune', '--scenario', './nope/isobench.scenario.json']), /^isobench: tune: scenario file .*nope\/isobench\.scenario\.json: not found/);
});

test('tune --scenario FILE gets as far as the target: skipped without /dev/kvm', { skip: existsSync('/dev/kvm') && 'kvm-hybrid may run here; the sweep is covered in-process below' }, async () => {
  const r = await runCli(['tune', '--scenario', EXAMPLE, '--route', 'items', '--set', 'items=5', '--thresholds', '64K', '--workers', 'none']);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr, 'isobench tune: skipped: kvm-hybrid is not available: /dev/kvm is absent\n');
});

test('the sweep runs the loaded scenario: every point is asked of it by name', async () => {
  const scenario = await loadScenarioFile(path.join(root, EXAMPLE));
  const asked: BenchOptions[] = [];
  await runTune({ scenario: scenario.name, scenarioList: [scenario], route: 'hello', thresholdsBytes: [65536], thresholdWorkers: 1, workers: [] }, async (options) => {
    asked.push(options);
    return fixtureDocument([]);
  });
  assert.equal(asked.length, 1);
  assert.deepEqual(asked[0]!.scenarios, ['node-http']);
  assert.deepEqual(asked[0]!.scenarioList, [scenario]);
});
