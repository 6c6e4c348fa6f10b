// Strict flag parsing for the gate, baseline and tune commands: unknown flags, missing values
// and malformed numbers become a one-line UsageError (exit 2).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../commands/command.ts';
import type { BenchOptions } from './bench.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseFlags<T extends Options>(command: string, argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (err) {
    const e = err as Error & { code?: string };
    const unknown = /Unknown option '([^']+)'/.exec(e.message);
    if (unknown) throw new UsageError(`${command}: unknown flag ${unknown[1]} (see isobench ${command} --help)`);
    const positional = /Unexpected argument '([^']+)'/.exec(e.message);
    if (positional) throw new UsageError(`${command}: unexpected argument "${positional[1]}" (see isobench ${command} --help)`);
    throw new UsageError(`${command}: ${e.message.split('\n')[0].replace(/\.$/, '')}`);
  }
}

export function positiveNumber(command: string, flag: string, raw: string | undefined, opts: { integer?: boolean; max?: number } = {}): number | undefined {
  if (raw === undefined) return undefined;
  const pattern = opts.integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  const value = Number(raw);
  if (!pattern.test(raw) || !(value > 0) || (opts.max !== undefined && value > opts.max)) {
    const kind = opts.integer ? 'a whole number' : 'a number';
    throw new UsageError(`${command}: ${flag} must be ${kind} above 0${opts.max !== undefined ? ` and at most ${opts.max}` : ''}, got "${raw}"`);
  }
  return value;
}

export function nonNegativeInteger(command: string, flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new UsageError(`${command}: ${flag} must be a whole number, got "${raw}"`);
  return Number(raw);
}

/** `--set key=value`: numbers and true/false become their JSON values */
export function parseSettings(command: string, raw: string[] | undefined): Record<string, unknown> | undefined {
  if (!raw || raw.length === 0) return undefined;
  const settings: Record<string, unknown> = {};
  for (const item of raw) {
    const m = /^([A-Za-z][A-Za-z0-9_.-]*)=(.*)$/.exec(item);
    if (!m) throw new UsageError(`${command}: --set expects KEY=VALUE, got "${item}"`);
    const text = m[2];
    settings[m[1]] = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text === 'true' ? true : text === 'false' ? false : text;
  }
  return settings;
}

/** The run flags gate and baseline share with `isobench run`. */
export const RUN_FLAGS = {
  scenario: { type: 'string', multiple: true },
  target: { type: 'string', multiple: true },
  route: { type: 'string', multiple: true },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  connections: { type: 'string' },
  client: { type: 'string' },
  set: { type: 'string', multiple: true },
} as const;

export const RUN_FLAGS_HELP = `Run options (as for isobench run; the gate defaults to what the baseline recorded):
  --scenario NAME       scenario to run (repeatable)
  --target NAME         target to run (repeatable); include native, the ratios need it
  --route NAME          route to run (repeatable; default every route)
  --duration SECONDS    measured seconds per row
  --warmup N            warm-up requests per row
  --connections N       concurrent connections
  --client MODE         keepalive | per-request (default: what each target needs)
  --set KEY=VALUE       a scenario/target setting (repeatable), e.g. --set delayMs=2`;

export function benchOptionsFrom(command: string, values: {
  scenario?: string[];
  target?: string[];
  route?: string[];
  duration?: string;
  warmup?: string;
  connections?: string;
  client?: string;
  set?: string[];
}): BenchOptions {
  if (values.client !== undefined && values.client !== 'keepalive' && values.client !== 'per-request') {
    throw new UsageError(`${command}: --client must be keepalive or per-request, got "${values.client}"`);
  }
  const options: BenchOptions = {};
  if (values.scenario) options.scenarios = values.scenario;
  if (values.target) options.targets = values.target;
  if (values.route) options.routes = values.route;
  const duration = positiveNumber(command, '--duration', values.duration, { max: 3600 });
  if (duration !== undefined) options.durationSec = duration;
  const warmup = nonNegativeInteger(command, '--warmup', values.warmup);
  if (warmup !== undefined) options.warmup = warmup;
  const connections = positiveNumber(command, '--connections', values.connections, { integer: true, max: 1024 });
  if (connections !== undefined) options.connections = connections;
  if (values.client === 'keepalive' || values.client === 'per-request') options.client = values.client;
  const settings = parseSettings(command, values.set);
  if (settings) options.scenarioSettings = settings;
  return options;
}
