import type { LoadRecorder } from './recorder.ts';

export interface LoadOptions {
  host: string;
  port: number;
  path: string;
  /** default GET */
  method?: string;
  /** sent with every request, with its Content-Length */
  body?: string;
  connections: number;
  /** measured phase: stop after this many seconds ... */
  durationSec?: number;
  /** ... or after this many requests */
  requests?: number;
  /** per-request timeout */
  timeoutMs: number;
  /** check every Nth response body with this (the route's check) */
  check(status: number, body: string): string | null;
  sampleEvery: number;
  /** taskset CPU list for a client that runs as its own process (null: no pinning) */
  clientCpus: string | null;
  /** ends the phase early (e.g. the server died) */
  signal?: AbortSignal;
  recorder: LoadRecorder;
}

export interface LoadOutcome {
  /** wall time of the measured phase */
  durationSec: number;
}
