// The isolation probe: a few requests, each on a fresh connection, to the scenario's counter route.
// Under a reset-per-request target every response reads the same value; natively the counter grows.
import http from 'node:http';
import type { IsolationResult } from '../reports/results/types.ts';

/** one GET on its own connection (Connection: close) */
export function getOnce(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export async function probeIsolation(baseUrl: string, probePath: string, requests = 5, timeoutMs = 5000): Promise<IsolationResult & { error?: string }> {
  const samples: number[] = [];
  for (let i = 0; i < requests; i++) {
    try {
      const { status, body } = await getOnce(baseUrl + probePath, timeoutMs);
      const value = Number(body.trim());
      if (status !== 200 || !/^\d+$/.test(body.trim())) {
        return { verdict: 'failed', samples, error: `probe answered status ${status} with ${JSON.stringify(body.slice(0, 40))}` };
      }
      samples.push(value);
    } catch (err) {
      return { verdict: 'failed', samples, error: `probe request failed: ${(err as Error).message}` };
    }
  }
  return { verdict: samples.every((v) => v === samples[0]) ? 'isolated' : 'shared', samples };
}
