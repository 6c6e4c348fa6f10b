// resetCounters (between the warm-up and the measured requests) returns only once the server's
// counters read cleared. A server that clears late (a pyodide server busy creating an instance
// handled SIGUSR2 after the first measured request) must not wipe a measured request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { runningServer } from '../../harness/targets/served.ts';

// FIXTURE server: counts requests, writes {requests} on SIGUSR1, clears 300 ms after SIGUSR2
const FIXTURE = `
const http = require('node:http'), fs = require('node:fs');
const file = process.argv[1];
let requests = 0;
process.on('SIGUSR1', () => { fs.writeFileSync(file + '.tmp', JSON.stringify({ requests })); fs.renameSync(file + '.tmp', file); });
process.on('SIGUSR2', () => setTimeout(() => { requests = 0; }, 300));
const server = http.createServer((req, res) => { requests++; res.end('ok'); });
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

test('resetCounters waits for the clear: the measured request after it is counted', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'isobench-served-'));
  const file = path.join(dir, 'stats.json');
  const child = spawn(process.execPath, ['-e', FIXTURE, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const url = `http://127.0.0.1:${Number(line.toString().trim())}`;
    const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
    const server = runningServer(
      { pid: child.pid!, exited, outputTail: () => '', rssPeakBytes: () => 0, stop: async () => void child.kill() },
      { url, label: 'fixture', stats: { file, parse: (json) => json as never } },
    );
    await (await fetch(url)).text(); // warm-up
    await server.resetCounters!();
    await (await fetch(url)).text(); // measured
    const counters = await server.counters!();
    assert.equal(counters?.requests, 1, 'the measured request survives the reset');
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
