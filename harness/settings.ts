// The settings `--set KEY=VALUE` may give, who reads each, and what kind of value it takes, so a
// typo or a wrong kind is refused before anything runs instead of failing (or doing nothing) mid-run.
export type SettingKind = 'number' | 'integer' | 'boolean' | 'string';

export interface SettingSpec {
  key: string;
  kind: SettingKind;
  /** smallest allowed value for numbers */
  min?: number;
  /** the scenario or targets that read it */
  readBy: string;
}

export const KNOWN_SETTINGS: SettingSpec[] = [
  { key: 'delayMs', kind: 'number', min: 0, readBy: 'python-wsgi' },
  { key: 'python', kind: 'string', readBy: 'python-wsgi' },
  { key: 'singleThreadedGc', kind: 'boolean', readBy: 'deno-react-ssr' },
  { key: 'resetThresholdBytes', kind: 'integer', min: 0, readBy: 'kvm-*' },
  { key: 'workers', kind: 'integer', min: 0, readBy: 'kvm-*, kvmserver' },
  { key: 'engineWarmup', kind: 'integer', min: 0, readBy: 'kvm-*' },
  { key: 'maxRequestMs', kind: 'integer', min: 0, readBy: 'kvm-*' },
  { key: 'maxRequestMb', kind: 'integer', min: 0, readBy: 'kvm-*' },
  { key: 'memoryMb', kind: 'integer', min: 0, readBy: 'kvm-*' },
  { key: 'engineVerbose', kind: 'boolean', readBy: 'kvm-*' },
  { key: 'engineInjectExit', kind: 'boolean', readBy: 'kvm-* (tests of the gate: one extra VM exit per request)' },
  { key: 'warmup', kind: 'integer', min: 0, readBy: 'kvmserver' },
  { key: 'wasmtimePath', kind: 'string', readBy: 'wasm' },
  { key: 'readyTimeoutMs', kind: 'number', min: 1, readBy: 'every target' },
];

const KIND_TEXT: Record<SettingKind, string> = { number: 'a number', integer: 'an integer', boolean: 'true or false', string: 'a string' };

function fits(spec: SettingSpec, value: unknown): boolean {
  switch (spec.kind) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string' && value.length > 0;
    case 'integer':
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && (spec.kind === 'number' || Number.isInteger(value)) && (spec.min === undefined || value >= spec.min);
  }
}

/**
 * null when every setting is known and of its kind, else one line saying what is wrong.
 * fileKeys: settings that scenario files declare (their loader checks those values); undefined
 * while the files are not loaded yet, when only the kinds of the known settings are checked.
 */
export function checkSettings(settings: Record<string, unknown>, known: SettingSpec[] = KNOWN_SETTINGS, fileKeys?: string[]): string | null {
  for (const [key, value] of Object.entries(settings)) {
    const spec = known.find((s) => s.key === key);
    if (!spec && (fileKeys === undefined || fileKeys.includes(key))) continue;
    if (!spec) return `unknown setting '${key}' (known: ${[...known.map((s) => s.key), ...fileKeys!].join(', ')})`;
    if (!fits(spec, value)) {
      const bound = spec.min !== undefined ? ` >= ${spec.min}` : '';
      return `${key} must be ${KIND_TEXT[spec.kind]}${bound} (read by ${spec.readBy}), got '${String(value)}'`;
    }
  }
  return null;
}
