// The one flag parser of every command: node:util parseArgs in strict mode, number and setting
// checks, and the run flags `run`, `gate` and `baseline` share. Every error is a one-line
// UsageError (exit 2); commands that prefix their messages (`gate: ...`) pass their name as `prefix`.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './command.ts';
import type { ClientMode } from '../../reports/results/types.ts';
import type { RunOptions } from '../run.ts';
import { KNOWN_SETTINGS, checkSettings } from '../settings.ts';
import { looksLikeScenarioFile } from '../../scenarios/file/load.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface FlagsConfig {
  /** the command, for `see isobench <command> --help` */
  command: string;
  /** prefix every message with `<command>: ` (gate, baseline, tune, claims) */
  prefixed?: boolean;
}

export class Flags {
  constructor(readonly config: FlagsConfig) {}

  error(message: string): UsageError {
    return new UsageError(this.config.prefixed ? `${this.config.command}: ${message}` : message);
  }

  parse<T extends Options>(argv: string[], options: T, allowPositionals = false) {
    try {
      return parseArgs({ args: joinNegativeValues(argv, options), options, strict: true, allowPositionals });
    } catch (err) {
      const message = (err as Error).message;
      const unknown = /Unknown option '([^']+)'/.exec(message);
      if (unknown) throw this.error(`unknown option '${unknown[1]}' (see isobench ${this.config.command} --help)`);
      const positional = /Unexpected argument '([^']+)'/.exec(message);
      if (positional) throw this.error(`unexpected argument '${positional[1]}' (see isobench ${this.config.command} --help)`);
      // node's messages are long and mention parseArgs; keep the first sentence
      throw this.error(message.split('\n')[0]!.split('. ')[0]!.replace(/\.$/, ''));
    }
  }

  /** a whole number from min (default 1) to max */
  integer(flag: string, raw: string, opts: { min?: number; max?: number } = {}): number {
    const min = opts.min ?? 1;
    const max = opts.max ?? Number.MAX_SAFE_INTEGER;
    if (!/^-?\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw this.error(`${flag} must be an integer from ${min} to ${max}, got '${raw}'`);
    return Number(raw);
  }

  /** a number above 0 (at most max) */
  positiveNumber(flag: string, raw: string, max?: number): number {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n <= 0 || (max !== undefined && n > max)) {
      throw this.error(`${flag} must be a number > 0${max !== undefined ? ` and at most ${max}` : ''}, got '${raw}'`);
    }
    return n;
  }

  choice<C extends string>(flag: string, raw: string, choices: readonly C[]): C {
    if (!(choices as readonly string[]).includes(raw)) {
      const list = choices.length === 2 ? `${choices[0]} or ${choices[1]}` : `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}`;
      throw this.error(`${flag} must be ${list}, got '${raw}'`);
    }
    return raw as C;
  }

  /** `--set KEY=VALUE` pairs, read as SET_VALUE_HELP says and checked against the known settings;
   * keys the harness does not know wait for the check after loading when a scenario file is named */
  settings(pairs: string[], scenarioFileNamed = false): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const pair of pairs) {
      const m = /^([A-Za-z][A-Za-z0-9_.-]*)=(.*)$/s.exec(pair);
      if (!m) throw this.error(`--set expects KEY=VALUE, got '${pair}'`);
      out[m[1]!] = settingValue(m[2]!);
    }
    const problem = checkSettings(out, KNOWN_SETTINGS, scenarioFileNamed ? undefined : []);
    if (problem) throw this.error(`--set ${problem}`);
    return out;
  }
}

/** `--set` values: a number when the text is one, true/false as booleans, anything else the string as given. */
export function settingValue(text: string): unknown {
  if (/^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  if (text === 'true') return true;
  if (text === 'false') return false;
  return text;
}

export const SET_VALUE_HELP = 'VALUE: a number when it reads as one (5, 0.5, -2, 1e6), true/false a boolean, else a string';

/**
 * parseArgs reads `--duration -1` as a missing value followed by an option; for string options
 * whose next word is a negative number, pass it as `--duration=-1` so the range check can say why.
 */
function joinNegativeValues(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    const next = argv[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

// ---- the run flags `run`, `gate` and `baseline` share ----

export const RUN_FLAGS = {
  scenario: { type: 'string', multiple: true },
  target: { type: 'string', multiple: true },
  route: { type: 'string', multiple: true },
  duration: { type: 'string' },
  requests: { type: 'string' },
  warmup: { type: 'string' },
  connections: { type: 'string' },
  client: { type: 'string' },
  set: { type: 'string', multiple: true },
} as const;

export const RUN_FLAGS_HELP = `  --scenario NAME|FILE     a built-in scenario, or a scenario file such as ./myapp/isobench.scenario.json
                           (repeatable; default: every built-in)
  --target NAME            target to run on (repeatable; default: all, unavailable ones are skipped)
  --route NAME             route to measure (repeatable; default: every route of each scenario)
  --duration SECONDS       measured phase length per row
  --requests N             measure N requests per row instead of a duration
  --warmup N               warm-up requests per row, discarded
  --connections N          concurrent connections
  --client MODE            keepalive | per-request (default: what each target needs)
  --set KEY=VALUE          a scenario or target setting (repeatable), e.g. --set delayMs=5;
                           VALUE is a number when it reads as one (5, 0.5, -2, 1e6), true or
                           false a boolean, anything else a string; unknown keys and values of
                           the wrong kind are refused`;

export interface RunFlagValues {
  scenario?: string[];
  target?: string[];
  route?: string[];
  duration?: string;
  requests?: string;
  warmup?: string;
  connections?: string;
  client?: string;
  set?: string[];
}

/** the part of RunOptions the run flags give */
export type RunFlagOptions = Pick<RunOptions, 'scenarios' | 'targets' | 'routes' | 'durationSec' | 'requests' | 'warmup' | 'connections' | 'client' | 'scenarioSettings'>;

/** The shared run flags as run options; only what was given is set. */
export function runFlagOptions(flags: Flags, v: RunFlagValues): RunFlagOptions {
  if (v.duration !== undefined && v.requests !== undefined) throw flags.error('give --duration or --requests, not both');
  const o: RunFlagOptions = {};
  if (v.scenario) o.scenarios = unique(v.scenario);
  if (v.target) o.targets = unique(v.target);
  if (v.route) o.routes = unique(v.route);
  if (v.duration !== undefined) o.durationSec = flags.positiveNumber('--duration', v.duration);
  if (v.requests !== undefined) o.requests = flags.integer('--requests', v.requests, { max: 1_000_000_000 });
  if (v.warmup !== undefined) o.warmup = flags.integer('--warmup', v.warmup, { min: 0, max: 1_000_000_000 });
  if (v.connections !== undefined) o.connections = flags.integer('--connections', v.connections, { max: 1024 });
  if (v.client !== undefined) o.client = flags.choice('--client', v.client, ['keepalive', 'per-request'] as const);
  if (v.set?.length) o.scenarioSettings = flags.settings(v.set, (v.scenario ?? []).some(looksLikeScenarioFile));
  return o;
}

/** a name given twice means it once (`--target native --target native` measures native once) */
function unique(names: string[]): string[] {
  return [...new Set(names)];
}
