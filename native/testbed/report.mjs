// The test bed's verdict, on the host, from the files the guest left in the results folder:
// one line per test (part/name, passed|failed|skipped, duration), the exit path, the times, a
// summary.json, and a final "N passed, N failed". Exit 1 on any failure, a hung or dead guest, a
// part that did not run, or zero tests.
//   node report.mjs RESULTS_DIR QEMU_EXIT_STATUS WALL_MS CPU KERNEL
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const [dir, qemuRcText, wallMsText, cpu, kernel] = process.argv.slice(2);
const repo = path.resolve(dir, '../..');
const tests = [];
const problems = [];

const readJson = (file) => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined);
const readLines = (file) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
const planned = (process.env.TB_PARTS ?? '').split(/\s+/).filter(Boolean);
const parts = readLines(path.join(dir, 'parts.jsonl')).map((l) => JSON.parse(l));
const guest = readJson(path.join(dir, 'guest.json'));

// C tests: make -C native test leaves each binary's output in native/build/test/<binary>.out
function cTests(binary, part) {
  const out = path.join(repo, 'native/build/test', `${binary}.out`);
  const lines = readLines(out);
  for (const line of lines) {
    const m = /^(ok  |FAIL|skip) (\S+?):?(?: \(([\d.]+) ms\))?(?:$| (.*))/.exec(line);
    if (!m) continue;
    const status = m[1] === 'ok  ' ? 'passed' : m[1] === 'FAIL' ? 'failed' : 'skipped';
    tests.push({ part, name: m[2], status, durationMs: m[3] ? Number(m[3]) : null, ...(m[4] ? { reason: m[4] } : {}) });
  }
  // the failure detail printed above a FAIL line
  for (let i = 1; i < lines.length; i++) {
    const t = /^FAIL (\S+) \(/.exec(lines[i]);
    if (t && /^ {2}\S/.test(lines[i - 1])) {
      const row = tests.find((x) => x.part === part && x.name === t[1]);
      if (row && !row.reason) row.reason = lines[i - 1].trim();
    }
  }
  const hung = lines.length && !lines.some((l) => /^\d+ passed, \d+ failed/.test(l));
  return { hung, last: [...lines].reverse().find((l) => /^(ok  |FAIL) /.test(l)) };
}

function nodeTests(part) {
  const started = new Map();
  for (const line of readLines(path.join(dir, `${part}.jsonl`))) {
    const e = JSON.parse(line);
    const key = `${e.file}\u0000${e.nesting}\u0000${e.name}`;
    if (e.event === 'start') started.set(key, e);
    else {
      started.delete(key);
      if (e.kind === 'suite' && e.status !== 'failed') continue;
      const file = e.file ? path.relative(repo, e.file) : '';
      tests.push({ part, name: `${file ? `${file}: ` : ''}${e.name}`, status: e.status === 'todo' ? 'skipped' : e.status, durationMs: e.durationMs, ...(e.reason ? { reason: e.reason } : {}) });
    }
  }
  const running = [...started.values()].filter((e) => !e.file || e.name !== e.file).map((e) => e.name);
  // node 20 may not deliver a start event before its file ends: then name the last test that ended
  const last = tests.filter((t) => t.part === part).at(-1);
  return running.length || !last ? running : [`the test after "${last.name}"`];
}

for (const part of planned) {
  const ran = parts.find((p) => p.part === part);
  let hungIn = [];
  if (part === 'c') {
    for (const b of ['engine_tests', 'engine_tests_asan']) {
      const { hung, last } = cTests(b, b === 'engine_tests' ? 'c' : 'c-asan');
      if (hung && ran?.timedOut !== false) hungIn.push(`${b} after ${last ?? 'its start'}`);
    }
  } else if (part === 'exitpath') {
    const doc = readJson(path.join(dir, 'exitpath.json'));
    const exitPath = doc?.engine?.exitPath;
    tests.push({ part, name: 'the engine chose the hardware exit path', status: exitPath === 'hw-ring0-lstar' ? 'passed' : 'failed', durationMs: null, reason: `exitPath ${exitPath ?? 'unknown'}` });
  } else if (part === 'exec') {
    tests.push({ part, name: process.env.TB_EXEC ?? 'command', status: ran?.exitStatus === 0 ? 'passed' : 'failed', durationMs: ran ? ran.seconds * 1000 : null, reason: `exit ${ran?.exitStatus ?? 'none'}` });
  } else if (part === 'figures') {
    const doc = readJson(path.join(dir, 'engine-figures.json'));
    for (const r of doc?.runs ?? []) {
      const c = r.engineCounters ?? {};
      tests.push({ part, name: `${r.scenario}/${r.route} ${r.target}`, status: r.status === 'ok' ? 'passed' : 'failed', durationMs: r.durationSec ? r.durationSec * 1000 : null,
        reason: r.status === 'ok' ? `exits/req ${c.exitsPerRequest?.mean} (timer ${c.exitsPerRequest?.timerExits ?? 0}), syscalls/req ${c.syscallsPerRequest?.mean}, new dirty/req ${c.pages?.newlyDirtiedPerRequest}, private/worker ${c.pages?.privatePerWorker}` : r.reason });
    }
  } else {
    hungIn = nodeTests(part);
  }
  if (!ran) problems.push(`part ${part} did not finish${hungIn.length ? ` (running: ${hungIn.join('; ')})` : ''}`);
  else if (ran.timedOut) problems.push(`part ${part} hung: killed after ${ran.seconds} s${hungIn.length ? ` while running ${hungIn.join('; ')}` : ''}`);
  else if (ran.exitStatus !== 0 && !tests.some((t) => t.part.startsWith(part) && t.status === 'failed')) problems.push(`part ${part} exited ${ran.exitStatus} with no failed test`);
}
const qemuRc = Number(qemuRcText);
if (qemuRc === 137) problems.push(`the guest hung: qemu killed at the test bed's timeout${existsSync(path.join(dir, 'current')) ? ` during part ${readFileSync(path.join(dir, 'current'), 'utf8').trim()}` : ''}`);
else if (qemuRc !== 0) problems.push(`qemu exited ${qemuRc}`);
if (!guest) problems.push('the guest never reached the test runner (see console.log)');
else if (!guest.devKvm) problems.push('no /dev/kvm inside the guest (kvm_amd did not load; see console.log)');

const count = (s) => tests.filter((t) => t.status === s).length;
const passed = count('passed');
const failed = count('failed') + problems.length;
const skipped = count('skipped');
const exitPath = readJson(path.join(dir, 'exitpath.json'))?.engine?.exitPath ?? null;

for (const t of tests) {
  const d = t.durationMs === null || t.durationMs === undefined ? '' : ` (${t.durationMs >= 1000 ? `${(t.durationMs / 1000).toFixed(1)} s` : `${t.durationMs} ms`})`;
  console.log(`${t.status === 'passed' ? 'pass' : t.status === 'failed' ? 'FAIL' : 'skip'} ${t.part}: ${t.name}${d}${(t.status !== 'passed' || t.part === 'figures' || t.part === 'exitpath') && t.reason ? ` — ${t.reason}` : ''}`);
}
for (const p of problems) console.log(`FAIL testbed: ${p}`);
const summary = {
  cpu, kernel, exitPath,
  bootSeconds: guest?.bootSeconds ?? null,
  wallSeconds: Number(wallMsText) / 1000,
  parts: parts.map((p) => ({ ...p, passed: tests.filter((t) => t.part.startsWith(p.part) && t.status === 'passed').length, failed: tests.filter((t) => t.part.startsWith(p.part) && t.status === 'failed').length, skipped: tests.filter((t) => t.part.startsWith(p.part) && t.status === 'skipped').length })),
  problems, passed, failed, skipped, tests,
};
writeFileSync(path.join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(`testbed: cpu ${cpu}, kernel ${kernel}, exit path ${exitPath ?? 'unknown'}, guest up after ${guest?.bootSeconds ?? '?'} s, ${summary.wallSeconds.toFixed(1)} s in all`);
for (const p of summary.parts) console.log(`testbed: part ${p.part}: ${p.seconds} s, ${p.passed} passed, ${p.failed} failed${p.skipped ? `, ${p.skipped} skipped` : ''}${p.timedOut ? ' (hung)' : ''}`);
if (passed + count('failed') === 0) console.log('testbed: zero tests ran');
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
