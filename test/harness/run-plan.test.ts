// What a run decides before and around measuring, found in a new user's trial: which skips fail the
// run, duplicate and mistyped names, the results file checked first and never lost, scenario
// builds on demand, and the phases the live view shows for routes that share a server.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Scenario } from '../../scenarios/scenario.ts';
import type { Target } from '../../harness/targets/target.ts';
import type { ProgressEvent } from '../../harness/progress.ts';
import type { ResultsDocument, RunRow } from '../../reports/results/types.ts';
import { PlanError, planRuns, runBenchmark } from '../../harness/run.ts';
import { runFailures } from '../../harness/commands/run.ts';
import { nativeTarget } from '../../harness/targets/native.ts';
import { wasmTarget } from '../../harness/targets/wasm.ts';
import { ensureClientBuilt, trivialServerBinary } from '../../harness/load/client-binary.ts';
import { root } from './helpers.ts';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'isobench-plan-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** the trivial C server as a scenario with two routes; build() runs the given step */
function trivialScenario(build: () => Promise<void> = async () => {}, launchNeeds?: string): Scenario {
  return {
    name: 'trivial',
    description: 'test server',
    routes: [
      { name: 'a', path: '/a', check: () => null },
      { name: 'b', path: '/b', check: () => null },
    ],
    probePath: '/probe',
    availability: async () => ({ ok: true, version: 'test' }),
    build,
    launch(s) {
      if (launchNeeds && !existsSync(launchNeeds)) throw new Error(`Module not found ${launchNeeds}`);
      return { argv: [trivialServerBinary, '--port', String(s.port)], env: {}, cwd: root, readPaths: [] };
    },
    describeSettings: () => ({}),
  };
}

const quick = { pin: false, warmup: 2, requests: 20, readyTimeoutSec: 5, out: null } as const;

const row = (r: Partial<RunRow>): RunRow => ({ scenario: 'python-wsgi', route: 'hello', target: 'native', status: 'ok', ...r }) as RunRow;
const docOf = (runs: RunRow[]) => ({ runs }) as ResultsDocument;

test('naming --scenario does not turn unavailable targets into a failed run; a named --target does, in one line', () => {
  const runs = [
    row({}),
    row({ target: 'kvm-full', status: 'skipped', reason: '/dev/kvm is absent' }),
    row({ target: 'wasm', status: 'skipped', notApplicable: true, reason: 'no wasm build for scenario python-wsgi' }),
  ];
  assert.deepEqual(runFailures(docOf(runs), { scenarios: ['python-wsgi'] }), []);
  const named = runFailures(docOf(runs), { scenarios: ['python-wsgi'], targets: ['native', 'kvm-full', 'wasm'] });
  assert.deepEqual(named, ['named but could not run here: --target kvm-full (/dev/kvm is absent)']);
  // a named scenario that ran nowhere fails, even without --target
  const nowhere = runFailures(docOf([row({ status: 'skipped', reason: 'python not found' })]), { scenarios: ['python-wsgi'] });
  assert.equal(nowhere.length, 1);
  assert.match(nowhere[0]!, /--scenario python-wsgi \(ran on no target: native: python not found\)/);
});

test('a scenario without a wasm build is skipped on wasm as not applicable (it can never run there)', async () => {
  const a = await wasmTarget.availability(trivialScenario());
  assert.equal(a.ok, false);
  assert.equal(!a.ok && a.notApplicable, true);
});

test('a target or scenario named twice is planned once; a mistyped route among good ones is refused', () => {
  const pairs = planRuns({ scenarios: ['python-wsgi', 'python-wsgi'], targets: ['native', 'native'], routes: ['hello'] });
  assert.equal(pairs.length, 1);
  assert.throws(() => planRuns({ scenarios: ['python-wsgi'], routes: ['hello', 'nosuch'] }), (e) => e instanceof PlanError && /no scenario has route 'nosuch'/.test(e.message));
});

test('an unwritable --out is refused before anything runs', async () => {
  const file = path.join(scratch, 'a-file');
  writeFileSync(file, '');
  let started = false;
  const spy: Target = { ...nativeTarget, start: async (ctx) => ((started = true), nativeTarget.start(ctx)) };
  for (const [out, why] of [
    ['/proc/nope.json', /cannot write results to '\/proc\/nope\.json': ENOENT/],
    [path.join(file, 'r.json'), /a-file is a file, not a folder/],
    [scratch, /it is a folder/],
  ] as const) {
    await assert.rejects(runBenchmark({ ...quick, out, scenarioList: [trivialScenario()], targetList: [spy] }), (e) => e instanceof PlanError && why.test(e.message));
  }
  assert.equal(started, false);
});

test('a results file that cannot be written at the end falls back to the default path and says so', async () => {
  await ensureClientBuilt();
  const dir = path.join(scratch, 'fallback');
  mkdirSync(path.join(dir, 'out'), { recursive: true });
  const out = path.join(dir, 'out', 'r.json');
  const warnings: string[] = [];
  // the folder is replaced by a file while the run measures
  const sneaky: Target = {
    ...nativeTarget,
    start: async (ctx) => {
      rmSync(path.join(dir, 'out'), { recursive: true });
      writeFileSync(path.join(dir, 'out'), '');
      return nativeTarget.start(ctx);
    },
  };
  const cwd = process.cwd();
  process.chdir(dir);
  let finished: string | undefined;
  try {
    await runBenchmark({ ...quick, out, routes: ['a'], scenarioList: [trivialScenario()], targetList: [sneaky], warn: (l) => warnings.push(l) }, (e) => {
      if (e.kind === 'finished') finished = e.outFile;
    });
  } finally {
    process.chdir(cwd);
  }
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0]!, /^could not write results to .*out\/r\.json \((EEXIST|ENOTDIR).*\); wrote them to results\/run-.*\.json instead$/);
  assert.ok(finished && existsSync(path.join(dir, finished)), `fallback ${finished} not written`);
  assert.deepEqual(readdirSync(path.join(dir, 'results')).length, 1);
});

test('a scenario whose build output is missing is built on demand before its server starts', async () => {
  await ensureClientBuilt();
  const artifact = path.join(scratch, 'bundle.js');
  rmSync(artifact, { force: true });
  let builds = 0;
  const scenario = trivialScenario(async () => {
    builds++;
    writeFileSync(artifact, '// built');
  }, artifact);
  const doc = await runBenchmark({ ...quick, scenarioList: [scenario], targetList: [nativeTarget, { ...nativeTarget, name: 'native-2' }] });
  assert.deepEqual(doc.runs.map((r) => r.status), ['ok', 'ok', 'ok', 'ok'], JSON.stringify(doc.runs.map((r) => r.reason)));
  assert.equal(builds, 1, 'built once per run');

  const broken = trivialScenario(async () => {
    throw new Error('esbuild exploded');
  });
  const failed = await runBenchmark({ ...quick, routes: ['a'], scenarioList: [broken], targetList: [nativeTarget] });
  assert.equal(failed.runs[0]!.status, 'failed');
  assert.equal(failed.runs[0]!.reason, 'trivial: build failed: esbuild exploded (npm run build:scenarios builds every scenario)');
});

test('routes that share a server: only the one waiting for it is starting, the next stays pending until its turn', async () => {
  await ensureClientBuilt();
  const events: ProgressEvent[] = [];
  await runBenchmark({ ...quick, scenarioList: [trivialScenario()], targetList: [nativeTarget] }, (e) => events.push(e));
  const phasesOf = (route: string) => events.filter((e) => e.kind === 'phase' && e.row.route === route).map((e) => (e as { phase: string }).phase);
  assert.deepEqual(phasesOf('a'), ['building', 'starting', 'warming', 'measuring', 'done']);
  assert.deepEqual(phasesOf('b'), ['warming', 'measuring', 'done']);
  const aDone = events.findIndex((e) => e.kind === 'row-done' && e.row.route === 'a');
  const bFirst = events.findIndex((e) => e.kind === 'phase' && e.row.route === 'b');
  assert.ok(bFirst > aDone, 'route b left pending before route a finished');
});
