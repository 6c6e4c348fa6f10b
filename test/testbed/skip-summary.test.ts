// npm test's last line when engine tests skip for want of /dev/kvm (test/support/engine-skip-summary.mjs),
// and ISOBENCH_REQUIRE_KVM=1 turning such a skip into a failure (test/support/engine-skip.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const support = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../support');

function runFixture(env: Record<string, string> = {}): { status: number | null; out: string } {
  // a child node --test that inherits NODE_TEST_CONTEXT believes it is nested and runs nothing
  const { NODE_TEST_CONTEXT: _nested, ...parentEnv } = process.env;
  const dir = mkdtempSync(path.join(tmpdir(), 'isobench-skip-summary-'));
  try {
    const file = path.join(dir, 'fixture.test.ts');
    writeFileSync(file, [
      "import { test } from 'node:test';",
      `import { engineSkip } from ${JSON.stringify(path.join(support, 'engine-skip.ts'))};`,
      "const skip = engineSkip('/dev/kvm unusable: FIXTURE');",
      "test('an engine test', { skip }, () => {});",
      "test('another engine test', { skip }, () => {});",
      "test('a plain test', () => {});",
    ].join('\n'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-reporter-destination=stdout',
      `--test-reporter=${path.join(support, 'engine-skip-summary.mjs')}`, '--test-reporter-destination=stdout', file], { encoding: 'utf8', env: { ...parentEnv, ISOBENCH_REQUIRE_KVM: '', ...env } });
    return { status: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('skipped engine tests end the run with one line naming npm run test:vm', () => {
  const r = runFixture();
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /^ENGINE TESTS SKIPPED: 2 engine tests in 1 file\(s\) did not run \(no usable \/dev\/kvm here\)\. Run them on the hardware path in the QEMU test bed: npm run test:vm$/m);
});

test('with ISOBENCH_REQUIRE_KVM=1 the same skip fails the file', () => {
  const r = runFixture({ ISOBENCH_REQUIRE_KVM: '1' });
  assert.notEqual(r.status, 0);
  assert.match(r.out, /ISOBENCH_REQUIRE_KVM=1 \(the test bed\) but these engine tests would skip: \/dev\/kvm unusable: FIXTURE/);
  assert.doesNotMatch(r.out, /ENGINE TESTS SKIPPED/);
});
