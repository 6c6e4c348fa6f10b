// `isobench calibrate`: the load clients' own floor against the trivial C server (or any URL),
// and wrk's keep-alive numbers on the same server for comparison.
import { execFile } from 'node:child_process';
import type { Command } from './command.ts';
import { UsageError } from './command.ts';
import { Flags } from './flags.ts';
import { LoadRecorder, runLoad } from '../load/index.ts';
import { ensureClientBuilt, trivialServerBinary } from '../load/client-binary.ts';
import { summarizeLatency } from '../../reports/results/histogram.ts';
import type { LatencySummaryUs } from '../../reports/results/types.ts';
import { choosePinning, pinSelf } from '../pinning.ts';
import { startServerProcess, findFreePort, type ServerProcess } from '../process.ts';
import { formatUs } from '../summary.ts';

const help = `usage: isobench calibrate [--url URL] [--duration SECONDS] [--connections N] [--delay-us N] [--json]

Measures the load clients themselves: the per-request C client and the keep-alive client
(autocannon) against the trivial C server (native/build/isobench-trivial-server, pinned to CPU 1),
and wrk (if installed) on the same server for comparison.

  --url URL          measure this server instead of the trivial one (http://127.0.0.1:PORT/path)
  --duration SECONDS per client (default 5)
  --connections N    (default 1)
  --delay-us N       the trivial server sleeps this long per request (default 0)
  --no-pin           no CPU pinning
  --json             machine-readable output`;

interface Measured {
  client: string;
  latencyUs: LatencySummaryUs | null;
  rps: number;
  requests: number;
  errors: number;
  note?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function wrkUs(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v : m[2] === 'ms' ? v * 1000 : v * 1e6;
}

async function runWrk(url: string, seconds: number, connections: number, cpus: string | null): Promise<Measured> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url];
  const [cmd, cmdArgs] = cpus !== null ? ['taskset', ['-c', cpus, 'wrk', ...args]] : ['wrk', args];
  const out = await new Promise<string | null>((resolve) =>
    execFile(cmd, cmdArgs as string[], { timeout: (seconds + 30) * 1000 }, (err, stdout) => resolve(err ? null : stdout)),
  );
  if (out === null) return { client: 'wrk (keep-alive)', latencyUs: null, rps: 0, requests: 0, errors: 0, note: 'wrk not installed or failed (apt-get install wrk)' };
  const pct = (p: string) => wrkUs(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const max = wrkUs(/Latency\s+\S+\s+\S+\s+(\S+)/.exec(out)?.[1] ?? '');
  const mean = wrkUs(/Latency\s+(\S+)/.exec(out)?.[1] ?? '');
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return {
    client: 'wrk (keep-alive)',
    latencyUs: { p50: pct('50'), p90: pct('90'), p99: pct('99'), p999: NaN, max, mean },
    rps, requests, errors,
    note: `wrk ${args.join(' ')} (wrk reports p50/p90/p99, no p99.9)`,
  };
}

export const calibrateCommand: Command = {
  name: 'calibrate',
  summary: "measure the load clients' own floor and compare with wrk",
  help,
  async run(argv) {
    const flags = new Flags({ command: 'calibrate' });
    const { values: v } = flags.parse(argv, {
      url: { type: 'string' }, duration: { type: 'string' }, connections: { type: 'string' },
      'delay-us': { type: 'string' }, 'no-pin': { type: 'boolean' }, json: { type: 'boolean' },
    });
    const seconds = v.duration ? flags.positiveNumber('--duration', v.duration) : 5;
    const connections = v.connections ? flags.integer('--connections', v.connections, { max: 1024 }) : 1;
    const delayUs = v['delay-us'] ? flags.integer('--delay-us', v['delay-us'], { min: 0, max: 10_000_000 }) : 0;
    let target: URL | null = null;
    if (v.url) {
      try {
        target = new URL(v.url);
      } catch {
        throw new UsageError(`--url is not a URL: '${v.url}'`);
      }
      if (target.protocol !== 'http:') throw new UsageError('--url must be http://');
    }
    const pinning = choosePinning(!v['no-pin']);
    await ensureClientBuilt();
    let server: ServerProcess | null = null;
    const restore = pinning.client !== null ? pinSelf(pinning.client) : () => {};
    try {
      if (!target) {
        const port = await findFreePort('127.0.0.1');
        server = await startServerProcess({
          name: 'trivial-server', argv: [trivialServerBinary, '--port', String(port), '--delay-us', String(delayUs)],
          env: {}, cwd: process.cwd(), cpus: pinning.server, readyUrl: `http://127.0.0.1:${port}/`, readyTimeoutMs: 5000,
        });
        target = new URL(`http://127.0.0.1:${port}/`);
      }
      const results: Measured[] = [];
      for (const mode of ['per-request', 'keepalive'] as const) {
        const recorder = new LoadRecorder();
        const base = { host: target.hostname, port: Number(target.port || 80), path: target.pathname + target.search, connections, timeoutMs: 10_000, check: () => null, sampleEvery: 1000, clientCpus: pinning.client };
        await runLoad(mode, { ...base, requests: 500, recorder: new LoadRecorder() }); // warm-up
        const outcome = await runLoad(mode, { ...base, durationSec: seconds, recorder });
        results.push({
          client: mode === 'per-request' ? 'isobench per-request (C)' : 'isobench keep-alive (autocannon)',
          latencyUs: recorder.responses ? summarizeLatency(recorder.histogram) : null,
          rps: recorder.responses / outcome.durationSec,
          requests: recorder.responses,
          errors: recorder.errorCount(),
        });
        await sleep(200);
      }
      results.push(await runWrk(target.href, Math.max(1, Math.round(seconds)), connections, pinning.client));
      const doc = { server: server ? `isobench-trivial-server (delay ${delayUs} µs)` : target.href, connections, durationSec: seconds, pinning, results };
      if (v.json) {
        process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
      } else {
        const lines = [`server: ${doc.server}; ${connections} connection(s); ${seconds} s per client; pinning server ${pinning.server ?? '-'} client ${pinning.client ?? '-'}`];
        for (const r of results) {
          const l = r.latencyUs;
          lines.push(
            `${r.client.padEnd(34)} ${l ? `p50 ${formatUs(l.p50).padStart(8)}  p90 ${formatUs(l.p90).padStart(8)}  p99 ${formatUs(l.p99).padStart(8)}  max ${formatUs(l.max).padStart(8)}` : 'no measurement'}  ${Math.round(r.rps)} req/s  ${r.errors} errors${r.note ? `  [${r.note}]` : ''}`,
          );
        }
        process.stdout.write(lines.join('\n') + '\n');
      }
      return 0;
    } finally {
      restore();
      await server?.stop();
    }
  },
};
