// What the wasm server scripts share as processes: their command line (`--name value` pairs; a
// missing required one exits 2), and the stats and shutdown signals the harness sends them.
import type { Server } from 'node:http';
import { renameSync, writeFileSync } from 'node:fs';

export function serverOption(server: string, name: string, required = true): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? process.argv[at + 1] : undefined;
  if (!value && required) {
    console.error(`${server}: missing --${name}`);
    process.exit(2);
  }
  return value;
}

/** SIGUSR1 writes summary() to statsFile (whole, through a rename), SIGUSR2 calls reset();
 * SIGTERM and SIGINT print farewell() on stderr and stop the server. */
export function handleServerSignals(server: Server, statsFile: string | undefined, summary: () => unknown, reset: () => void, farewell: () => string): void {
  process.on('SIGUSR1', () => {
    if (!statsFile) return;
    const tmp = `${statsFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(summary()));
    renameSync(tmp, statsFile);
  });
  process.on('SIGUSR2', reset);
  const shutdown = (): void => {
    console.error(farewell());
    server.closeAllConnections();
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
