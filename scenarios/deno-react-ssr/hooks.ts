// Code deno-react-ssr's scenario file names: the esbuild bundle (its build and wasm hooks) and the
// page check (row count and size, which the file's checks cannot express).
import { join } from 'node:path';
import { BUILD_DIR, SCENARIO_DIR, bundle } from './bundle.ts';
import { PRODUCT_COUNT } from './app/data.ts';

export { bundle };

export const DENO_SERVER_BUNDLE = join(BUILD_DIR, 'server.js');

export async function build(): Promise<void> {
  await bundle(join(SCENARIO_DIR, 'deno', 'server.ts'), DENO_SERVER_BUNDLE);
}

/** Checks the measured page: complete document, every product row, and a plausible size. */
export function checkPage(status: number, body: string): string | null {
  if (status !== 200) return `status ${status}, expected 200`;
  if (!body.startsWith('<!DOCTYPE html><html lang="en">')) return 'page does not start with the expected doctype/html';
  if (!body.endsWith('</html>')) return 'page is truncated (no closing </html>)';
  const rows = body.split('<tr id="p').length - 1;
  if (rows !== PRODUCT_COUNT) return `page has ${rows} product rows, expected ${PRODUCT_COUNT}`;
  if (!body.includes(`<footer id="end-of-page">${PRODUCT_COUNT} products</footer>`)) return 'page footer missing';
  const bytes = new TextEncoder().encode(body).length;
  if (bytes < 20_000 || bytes > 40_000) return `page is ${bytes} bytes, expected 20–40 KB`;
  return null;
}
