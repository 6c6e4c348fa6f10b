// Connection-per-request load through the C client (native/build/isobench-client): a closed loop
// of connect, send, read the whole response, close, timed with CLOCK_MONOTONIC. Its output lines
// (see native/client/perreq.c) are parsed here into the same recorder the keep-alive client uses.
import { spawn } from 'node:child_process';
import type { LoadOptions, LoadOutcome } from './options.ts';
import type { ErrorKind } from './recorder.ts';
import { clientBinary, ensureClientBuilt } from './client-binary.ts';
import { trackProcessGroup } from '../process.ts';

const ERROR_KINDS = new Set<ErrorKind>(['connect', 'timeout', 'reset', 'body']);

/** Incremental parser of the client's stdout protocol. */
export class ClientOutputParser {
  private buf: Buffer = Buffer.alloc(0);
  done: { responses: number; errors: number; elapsedUs: number } | null = null;

  constructor(
    private readonly onResponse: (latencyUs: number, status: number) => void,
    private readonly onSample: (status: number, body: string) => void,
    private readonly onError: (kind: ErrorKind) => void,
  ) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      const nl = this.buf.indexOf(10, pos);
      if (nl < 0) break;
      const line = this.buf.toString('latin1', pos, nl);
      if (line.startsWith('R ')) {
        const sp = line.indexOf(' ', 2);
        this.onResponse(Number(line.slice(2, sp)), Number(line.slice(sp + 1)));
      } else if (line.startsWith('S ')) {
        const [, status, len] = line.split(' ');
        const bodyEnd = nl + 1 + Number(len);
        if (this.buf.length < bodyEnd + 1) break; // body not all here yet: keep the S line
        this.onSample(Number(status), this.buf.toString('utf8', nl + 1, bodyEnd));
        pos = bodyEnd + 1;
        continue;
      } else if (line.startsWith('E ')) {
        const kind = line.slice(2) as ErrorKind;
        this.onError(ERROR_KINDS.has(kind) ? kind : 'body');
      } else if (line.startsWith('D ')) {
        const [, responses, errors, elapsedUs] = line.split(' ').map(Number);
        this.done = { responses: responses!, errors: errors!, elapsedUs: elapsedUs! };
      }
      pos = nl + 1;
    }
    this.buf = this.buf.subarray(pos);
  }
}

export async function runPerRequest(opts: LoadOptions): Promise<LoadOutcome> {
  await ensureClientBuilt();
  const { recorder } = opts;
  const args = [
    '--host', opts.host, '--port', String(opts.port), '--path', opts.path,
    '--connections', String(opts.connections), '--timeout-ms', String(opts.timeoutMs),
    '--sample-every', String(opts.sampleEvery),
    ...(opts.method && opts.method !== 'GET' ? ['--method', opts.method] : []),
    ...(opts.body !== undefined ? ['--body', opts.body] : []),
    ...(opts.requests ? ['--requests', String(opts.requests)] : ['--duration-ms', String(Math.round((opts.durationSec ?? 10) * 1000))]),
  ];
  const [command, commandArgs] = opts.clientCpus !== null ? ['taskset', ['-c', opts.clientCpus, clientBinary, ...args]] : [clientBinary, args];
  const parser = new ClientOutputParser(
    (us, status) => recorder.response(status, us),
    (status, body) => recorder.checkedBody(status, opts.check(status, body)),
    (kind) => recorder.error(kind, kind === 'connect' ? 'connection refused or failed' : kind === 'timeout' ? `no complete response within ${opts.timeoutMs} ms` : kind === 'reset' ? 'connection closed or reset before the response was complete' : 'malformed or truncated response'),
  );
  // detached and tracked: if the harness is interrupted, the client goes with the servers
  const child = spawn(command, commandArgs as string[], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const release = child.pid !== undefined ? trackProcessGroup(child.pid, [command, ...commandArgs].join(' ')) : () => {};
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => parser.push(c));
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  const stop = () => child.kill('SIGTERM'); // the client finishes its in-flight requests and reports
  opts.signal?.addEventListener('abort', stop, { once: true });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  }).finally(() => {
    opts.signal?.removeEventListener('abort', stop);
    release();
  });
  if (code !== 0 || !parser.done) {
    throw new Error(`per-request client failed (exit ${code}): ${stderr.trim().split('\n').at(-1) ?? 'no summary line'}`);
  }
  return { durationSec: parser.done.elapsedUs / 1e6 };
}
