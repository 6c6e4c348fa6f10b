// Reset semantics and guest outcomes driven from TypeScript through the koffi binding.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Master, EngineError, kvmAvailable, guestPath, type ResetMode } from '../../vm/engine.ts';
import { engineSkip } from '../support/engine-skip.ts';

const kvm = kvmAvailable();
const skip = engineSkip(kvm.ok ? false : `/dev/kvm unusable: ${kvm.reason}`);
const LIMITS = { memBytes: 64 << 20, requestTimeUs: 200_000 };

describe('engine through koffi', { skip }, () => {
  let master: Master;
  before(() => {
    master = Master.create(guestPath('reqs'), { limits: LIMITS });
    master.runToReady();
  });
  after(() => master?.destroy());

  test('a static guest runs and its output is captured', () => {
    assert.equal(master.takeOutput(1), 'booted\n');
    const w = master.fork('pages');
    try {
      const r = w.runRequest('echo from ts');
      assert.equal(r.status, 'ok');
      assert.equal(r.output.toString(), 'from ts');
      assert.ok(r.exits >= 2, `exits ${r.exits}`);
      assert.equal(w.runRequest('print out-line').status, 'ok');
      assert.equal(w.takeOutput(1), 'out-line');
    } finally {
      w.destroy();
    }
  });

  for (const mode of ['pages', 'full', 'hybrid', 'persist'] as ResetMode[]) {
    test(`a secret written in request 1 is ${mode === 'persist' ? 'still' : 'not'} visible in request 2 under ${mode}`, () => {
      const w = master.fork(mode);
      try {
        assert.equal(w.runRequest('secret-write s3cr3t').status, 'ok');
        w.reset();
        const r = w.runRequest('secret-read');
        assert.equal(r.status, 'ok');
        assert.equal(r.output.toString(), mode === 'persist' ? 's3cr3t' : '');
      } finally {
        w.destroy();
      }
    });
  }

  test('worker writes (guest and host side) never reach the master or a sibling', () => {
    const a = master.fork('persist');
    const b = master.fork('persist');
    try {
      const addr = parseInt(a.runRequest('addr').output.toString(), 16);
      assert.equal(a.runRequest('secret-write only-a').status, 'ok');
      assert.equal(b.runRequest('random').output.toString(), '32'); // host writes getrandom bytes into B
      const zero = Buffer.alloc(32);
      assert.deepEqual(master.peek(addr, 32), zero);
      assert.equal(a.peek(addr, 6).toString(), 'only-a');
      assert.notDeepEqual(b.peek(addr, 32), zero);
      assert.equal(b.runRequest('secret-read').output.toString().startsWith('only-a'), false);
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  test('hybrid switches to full exactly when dirty bytes pass the threshold', () => {
    const w = master.fork('hybrid');
    try {
      w.runRequest('dirty 10');
      w.reset('full');
      const d = w.runRequest('dirty 10').dirtyPages;
      w.setHybridThreshold(d * 4096);
      assert.equal(w.reset(), 'pages');
      assert.equal(w.runRequest('dirty 10').dirtyPages, d);
      w.setHybridThreshold(d * 4096 - 1);
      assert.equal(w.reset(), 'full');
    } finally {
      w.destroy();
    }
  });

  test('a looping guest is stopped by the time limit and the worker serves again', () => {
    const w = master.fork('pages');
    try {
      const r = w.runRequest('loop');
      assert.equal(r.status, 'limit-time');
      assert.match(r.error ?? '', /time limit/);
      assert.equal(w.reset(), 'full');
      assert.equal(w.runRequest('echo back').output.toString(), 'back');
    } finally {
      w.destroy();
    }
  });

  for (const [cmd, vector] of [['fault-ptr', '#PF'], ['ud2', '#UD']]) {
    test(`a guest fault (${cmd}) is reported, reset fully, and the worker serves again`, () => {
      const w = master.fork('pages');
      try {
        const r = w.runRequest(cmd!);
        assert.equal(r.status, 'faulted');
        assert.ok(r.error?.includes(vector!), r.error);
        assert.equal(w.reset('pages'), 'full');
        assert.equal(w.runRequest('echo ok').output.toString(), 'ok');
      } finally {
        w.destroy();
      }
    });
  }

  test('unknown syscalls get -ENOSYS and are counted', () => {
    const w = master.fork('pages');
    try {
      assert.equal(w.runRequest('enosys').output.toString(), '-38');
      const c = w.counters() as { enosys: Record<string, number>; exitPath: string };
      assert.equal(c.enosys['400'], 1);
      assert.match(c.exitPath, /^(pvm-ring3-lstar|hw-ring0-lstar)$/);
    } finally {
      w.destroy();
    }
  });
});

describe('engine limits and bad input', { skip }, () => {
  test('a guest over its per-request memory cap is stopped', () => {
    const m = Master.create(guestPath('reqs'), { limits: { ...LIMITS, requestDirtyBytes: 1 << 20 } });
    try {
      m.runToReady();
      const w = m.fork('pages');
      assert.equal(w.runRequest('dirty 2000').status, 'limit-memory');
      assert.equal(w.runRequest('echo still here').output.toString(), 'still here');
      w.destroy();
    } finally {
      m.destroy();
    }
  });

  test('a malformed ELF is rejected with a clear error', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ib-elf-'));
    try {
      const bad = path.join(dir, 'bad');
      writeFileSync(bad, Buffer.from('\x7fELF\x01\x01\x01 32-bit, and short', 'latin1'));
      assert.throws(() => Master.create(bad), (e: unknown) => e instanceof EngineError && /not 64-bit|shorter than/.test(e.message));
      writeFileSync(bad, 'plain text');
      assert.throws(() => Master.create(bad), /not an ELF file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a missing ELF is a clear error', () => {
    assert.throws(() => Master.create('/nonexistent/guest-binary'), /cannot open ELF \/nonexistent\/guest-binary/);
  });
});
