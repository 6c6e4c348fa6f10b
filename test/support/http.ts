// GET over a fresh connection (no agent, Connection: close); the body as UTF-8 text.
import http from 'node:http';

export interface Got {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export function get(url: string, timeoutMs = 15_000): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
