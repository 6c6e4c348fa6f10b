// The documented CLI behaviour: help, version, and one-line errors with exit code 2 for bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { root, runCli } from './helpers.ts';

const badInput: [string[], RegExp][] = [
  [[], /^isobench: missing command/],
  [['frobnicate'], /^isobench: unknown command 'frobnicate'/],
  [['--frobnicate'], /^isobench: unknown option '--frobnicate'/],
  [['run', '--bogus'], /^isobench: unknown option '--bogus'/],
  [['run', '--duration', 'abc'], /^isobench: --duration must be a number > 0, got 'abc'/],
  [['run', '--duration', '0'], /^isobench: --duration must be a number > 0, got '0'/],
  [['run', '--connections', '-3'], /^isobench: /],
  [['run', '--connections', '2.5'], /^isobench: --connections must be an integer from 1 to 1024, got '2.5'/],
  [['run', '--client', 'pipelined'], /^isobench: --client must be keepalive or per-request, got 'pipelined'/],
  [['run', '--duration', '1', '--requests', '5'], /^isobench: give --duration or --requests, not both/],
  [['run', '--scenario', 'nope'], /^isobench: unknown scenario 'nope' \(known: python-wsgi/],
  [['run', '--target', 'nope'], /^isobench: unknown target 'nope' \(known: native/],
  [['run', '--route', 'nope'], /^isobench: no scenario has route 'nope'/],
  [['run', '--out', 'results.txt'], /^isobench: --out must name a \.json file/],
  [['run', '--set', 'novalue'], /^isobench: --set expects KEY=VALUE/],
  // found by a new user's trial: each of these used to run (or exit 1, or print Node's parser error)
  [['run', '--route', 'hello', '--route', 'nosuch'], /^isobench: no scenario has route 'nosuch' \(known: hello, page/],
  [['run', '--set', 'nosuchkey=1'], /^isobench: --set unknown setting 'nosuchkey' \(known: delayMs, /],
  [['run', '--set', 'delayMs=soon'], /^isobench: --set delayMs must be a number >= 0 \(read by python-wsgi\), got 'soon'/],
  [['run', '--set', 'workers=1.5'], /^isobench: --set workers must be an integer >= 0/],
  [['run', '--duration', '-1'], /^isobench: --duration must be a number > 0, got '-1'/],
  [['run', '--requests', '-5'], /^isobench: --requests must be an integer from 1 to/],
  [['run', '--scenario', 'python-wsgi', '--target', 'native', '--requests', '5', '--out', '/proc/nope.json'], /^isobench: cannot write results to '\/proc\/nope\.json': ENOENT/],
  [['gate', '--duration', '-1'], /^isobench: gate: --duration must be a number > 0, got '-1'/],
  [['tune', '--scenario', 'python-wsgi', '--set', 'nosuchkey=1'], /^isobench: tune: --set unknown setting 'nosuchkey'/],
  [['run', 'extra'], /^isobench: /],
  [['list', '--yaml'], /^isobench: unknown option '--yaml'/],
];

for (const [args, message] of badInput) {
  test(`isobench ${args.join(' ') || '(nothing)'} → exit 2 with one line`, async () => {
    const r = await runCli(args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, `more than one line: ${r.stderr}`);
    assert.equal(r.stdout, '');
  });
}

test('--help lists the commands; every command has --help', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  for (const cmd of ['run', 'list', 'calibrate']) assert.match(r.stdout, new RegExp(`^  ${cmd} `, 'm'));
  const run = await runCli(['run', '--help']);
  assert.equal(run.code, 0);
  assert.match(run.stdout, /^usage: isobench run/);
  for (const flag of ['--scenario', '--target', '--duration', '--warmup', '--connections', '--client', '--out']) assert.ok(run.stdout.includes(flag), flag);
  assert.match((await runCli(['list', '--help'])).stdout, /^usage: isobench list/);
});

test('--version prints the package version', async () => {
  const r = await runCli(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version);
});

test('list --json names scenarios and targets with availability and reasons', async () => {
  const r = await runCli(['list', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const inv = JSON.parse(r.stdout);
  const python = inv.scenarios.find((s: { name: string }) => s.name === 'python-wsgi');
  assert.equal(python.availability.ok, true);
  assert.deepEqual(python.routes.map((x: { name: string }) => x.name), ['hello', 'page']);
  const native = inv.targets.find((t: { name: string }) => t.name === 'native');
  assert.equal(native.availability['python-wsgi'].ok, true);
  for (const t of inv.targets) {
    for (const a of Object.values(t.availability) as { ok: boolean; reason?: string }[]) {
      if (!a.ok) assert.ok(a.reason && a.reason.length > 0, `${t.name} unavailable without a reason`);
    }
  }
});
