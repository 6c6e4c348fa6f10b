// The isolation suite's routes (/isolation/<probe>?token=T, see harness/isolation): each reports
// what an earlier request left ("seen") and leaves T behind. Shared by the Deno server and the wasm
// entry, so both carry the same probes. Probes this runtime cannot run (no pipes, files, env or
// clock ids with --allow-net) are not routed: the scenario's probe list marks them not applicable.
import type { PlainResponse } from './routes.ts';

interface ProbeAnswer {
  seen?: string;
  left?: string;
  value?: string;
  note?: string;
  error?: string;
}

let memoryToken = '';
let concurrentToken = '';

/** a buffer outside the JS heap: WebAssembly.Memory where the runtime has it, else an ArrayBuffer */
const nativeBuffer = (() => {
  const wasm = (globalThis as { WebAssembly?: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } }).WebAssembly;
  if (wasm) return { bytes: new Uint8Array(new wasm.Memory({ initial: 1 }).buffer, 0, 16), kind: 'WebAssembly.Memory' };
  return { bytes: new Uint8Array(new ArrayBuffer(16)), kind: 'ArrayBuffer (no WebAssembly in this runtime)' };
})();

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

function nativeMemory(token: string): ProbeAnswer {
  const seen = new TextDecoder().decode(nativeBuffer.bytes).replace(/\0+$/, '');
  nativeBuffer.bytes.fill(0);
  nativeBuffer.bytes.set(new TextEncoder().encode(token.slice(0, 16)));
  return { seen, left: token, note: nativeBuffer.kind };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function concurrent(token: string, query: URLSearchParams, canHold: boolean): Promise<ProbeAnswer> {
  if (query.get('role') === 'write') {
    concurrentToken = token;
    if (!canHold) return { seen: '', left: token, note: 'not held: this host serves one request at a time, synchronously' };
    await sleep(Math.min(Number(query.get('holdMs') ?? 0) || 0, 10_000));
    return { seen: '', left: token };
  }
  return { seen: concurrentToken ? `module global ${concurrentToken}` : '', left: '' };
}

async function answer(name: string, token: string, query: URLSearchParams, canHold: boolean): Promise<ProbeAnswer | null> {
  switch (name) {
    case 'memory': {
      const seen = memoryToken;
      memoryToken = token;
      return { seen, left: token };
    }
    case 'native-memory':
      return nativeMemory(token);
    case 'random-os':
      return { value: hex(crypto.getRandomValues(new Uint8Array(16))) };
    case 'random-prng':
      return { value: String(Math.random()) };
    case 'concurrent':
      return concurrent(token, query, canHold);
    default:
      return null;
  }
}

export const isProbePath = (pathname: string) => pathname.startsWith('/isolation/');

/** the probe's response for an /isolation/... path (isProbePath); canHold: timers may delay a response */
export async function respondProbe(url: URL, canHold = true): Promise<PlainResponse> {
  const name = url.pathname.slice('/isolation/'.length);
  let body: ProbeAnswer | null;
  try {
    body = await answer(name, url.searchParams.get('token') ?? '', url.searchParams, canHold);
  } catch (err) {
    body = { error: `${(err as Error).name}: ${(err as Error).message}` };
  }
  if (!body) return { status: 404, contentType: 'application/json', body: JSON.stringify({ error: `no probe ${name}` }) };
  return { status: 200, contentType: 'application/json', body: JSON.stringify(body) };
}
