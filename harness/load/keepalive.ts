// Keep-alive load through autocannon. Each response's latency comes from autocannon's per-response
// event (float ms from process.hrtime) and goes into our µs histogram; autocannon's own
// percentiles are whole milliseconds and are not used.
import autocannon from 'autocannon';
import type { LoadOptions, LoadOutcome } from './options.ts';

function errorKind(err: NodeJS.ErrnoException): 'connect' | 'timeout' | 'reset' {
  if (/timed out/i.test(err.message)) return 'timeout';
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return 'reset';
  return 'connect';
}

export function runKeepAlive(opts: LoadOptions): Promise<LoadOutcome> {
  const { recorder } = opts;
  let seen = 0;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let instance: autocannon.Instance;
    try {
      instance = autocannon(
        {
          url: `http://${opts.host}:${opts.port}`,
          connections: opts.connections,
          pipelining: 1,
          timeout: Math.max(1, Math.ceil(opts.timeoutMs / 1000)),
          ...(opts.requests ? { amount: opts.requests } : { duration: opts.durationSec ?? 10 }),
          requests: [
            {
              method: (opts.method ?? 'GET') as autocannon.Request['method'],
              path: opts.path,
              ...(opts.body !== undefined ? { body: opts.body, headers: { 'content-type': 'text/plain' } } : {}),
              onResponse: (status: number, body: string) => {
                if (seen++ % opts.sampleEvery === 0) recorder.checkedBody(status, opts.check(status, body));
              },
            },
          ],
        },
        (err) => {
          opts.signal?.removeEventListener('abort', stop);
          if (err) reject(err);
          else resolve({ durationSec: (performance.now() - started) / 1000 });
        },
      );
    } catch (err) {
      reject(err);
      return;
    }
    instance.on('response', (_client: unknown, status: number, _bytes: number, responseTimeMs: number) => {
      recorder.response(status, responseTimeMs * 1000);
    });
    instance.on('reqError', (err: NodeJS.ErrnoException) => recorder.error(errorKind(err), err.message));
    const stop = () => instance.stop();
    opts.signal?.addEventListener('abort', stop, { once: true });
  });
}
