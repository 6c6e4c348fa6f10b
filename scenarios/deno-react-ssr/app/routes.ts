// The scenario's routes, independent of the server API that carries them
// (Deno.serve natively, a wasi:http fetch event in wasm).
import { buildCatalogue } from './data.ts';
import { renderCataloguePage } from './page.tsx';

export interface PlainResponse {
  status: number;
  contentType: string;
  body: string;
}

const catalogue = buildCatalogue();

/** module-level state the isolation probe reads: grows natively, never under per-request reset */
let probeCounter = 0;

export function respond(pathname: string): PlainResponse {
  switch (pathname) {
    case '/':
      // rendered on every request: the render is the work being measured
      return { status: 200, contentType: 'text/html; charset=utf-8', body: renderCataloguePage(catalogue) };
    case '/hello':
      return { status: 200, contentType: 'text/plain; charset=utf-8', body: 'Hello, world!\n' };
    case '/probe':
      probeCounter += 1;
      return { status: 200, contentType: 'text/plain; charset=utf-8', body: String(probeCounter) };
    default:
      return { status: 404, contentType: 'text/plain; charset=utf-8', body: 'not found\n' };
  }
}
