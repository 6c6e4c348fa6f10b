// The live view and the results table on a real terminal (tmux), with --requests, as a new user's
// trial met them: a key pressed while the run measures must not close the table when it appears,
// the run's own error lines must not land inside the table (leaving stale copies of its header on
// the next key), and progress must count requests, not seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasCommand, root } from '../harness/helpers.ts';
import { TABLE_FOOTER } from '../../reports/terminal/results-view.tsx';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('tmux: q while measuring is ignored, errors print after the table closes, progress counts requests', { skip: hasCommand('tmux') ? false : 'tmux not installed' }, async () => {
  const socket = `isobench-test-${randomUUID()}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'isobench-tty-'));
  const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const pane = () => tmux('capture-pane', '-p', '-t', 'run').stdout;
  const waitFor = async (what: RegExp, ms: number) => {
    for (let waited = 0; waited < ms; waited += 100) {
      if (what.test(pane())) return true;
      await sleep(100);
    }
    return false;
  };
  // kvm-full is named explicitly and cannot run without /dev/kvm (or fails) -> the run ends with an error line
  const run = [
    'env -u CI', process.execPath, '--import', 'tsx', path.join(root, 'harness/cli.ts'), 'run', '--scenario', 'python-wsgi',
    '--target', 'native', '--target', 'kvm-full', '--route', 'hello', '--requests', '10000', '--warmup', '5', '--no-pin', '--no-isolation',
    '--out', path.join(dir, 'r.json'), '; echo EXITED $?; sleep 60',
  ].join(' ');
  try {
    assert.equal(tmux('new-session', '-d', '-s', 'run', '-x', '120', '-y', '45', '-c', root, run).status, 0);
    assert.ok(await waitFor(/native +› measuring/, 60_000), `never measured:\n${pane()}`);
    assert.ok(await waitFor(/\d+\/10000 req/, 10_000), `progress does not count requests:\n${pane()}`);
    assert.doesNotMatch(pane(), /\/0s/);
    tmux('send-keys', '-t', 'run', 'q');
    assert.ok(await waitFor(/Ctrl-C stops the run/, 5_000), `no hint for a key pressed while measuring:\n${pane()}`);
    assert.ok(await waitFor(new RegExp(TABLE_FOOTER.slice(0, 12)), 120_000), `the table never opened:\n${pane()}`);
    await sleep(1500);
    let screen = pane();
    assert.doesNotMatch(screen, /EXITED/, `the q pressed while measuring closed the table:\n${screen}`);
    assert.doesNotMatch(screen, /isobench: /, `an error line landed inside the table:\n${screen}`);
    tmux('send-keys', '-t', 'run', 'Right');
    await sleep(800);
    screen = pane();
    assert.equal(screen.split('\n').filter((l) => l.startsWith('results: ')).length, 1, `stale header copies after a key:\n${screen}`);
    tmux('send-keys', '-t', 'run', 'q');
    assert.ok(await waitFor(/EXITED \d/, 10_000), `q did not close the table:\n${pane()}`);
    screen = pane();
    assert.match(screen, /EXITED 1/);
    assert.match(screen, /isobench: (named but could not run here: --target kvm-full|python-wsgi hello @ kvm-full)/);
  } finally {
    tmux('kill-server');
    rmSync(dir, { recursive: true, force: true });
  }
});
