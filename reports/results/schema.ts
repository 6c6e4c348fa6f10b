// JSON Schema of the current results document (see types.ts), and a validator for it. Older
// documents are migrated first (migrate.ts) and then checked against this schema.
import { Ajv } from 'ajv';
import { SCHEMA_VERSION, type ResultsDocument } from './types.ts';

const latency = {
  type: 'object',
  required: ['p50', 'p90', 'p99', 'p999', 'max', 'mean'],
  properties: Object.fromEntries(['p50', 'p90', 'p99', 'p999', 'max', 'mean'].map((k) => [k, { type: 'number', minimum: 0 }])),
};

const runRow = {
  type: 'object',
  required: ['scenario', 'route', 'target', 'status'],
  properties: {
    scenario: { type: 'string', minLength: 1 },
    route: { type: 'string', minLength: 1 },
    target: { type: 'string', minLength: 1 },
    engine: { type: 'string' },
    status: { enum: ['ok', 'skipped', 'failed'] },
    reason: { type: 'string' },
    client: { enum: ['keepalive', 'per-request'] },
    connections: { type: 'integer', minimum: 1 },
    pinning: {
      type: 'object',
      required: ['server', 'client'],
      properties: { server: { type: ['string', 'null'] }, client: { type: ['string', 'null'] } },
    },
    latencyUs: latency,
    histogram: { type: 'string' },
    requests: { type: 'integer', minimum: 0 },
    durationSec: { type: 'number', minimum: 0 },
    rps: { type: 'number', minimum: 0 },
    errors: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } },
    isolation: {
      type: 'object',
      required: ['verdict', 'samples'],
      properties: {
        verdict: { enum: ['isolated', 'shared', 'failed'] },
        samples: { type: 'array', items: { type: 'number' } },
        expected: { enum: ['isolated', 'shared'] },
      },
    },
    engineCounters: { type: 'object', required: ['mode', 'requests'] },
    rssPeakBytes: { type: 'integer', minimum: 0 },
  },
  allOf: [
    // a row that is not ok says why; an ok row carries its measurement
    { if: { properties: { status: { enum: ['skipped', 'failed'] } } }, then: { required: ['reason'] } },
    {
      if: { properties: { status: { const: 'ok' } } },
      then: { required: ['client', 'connections', 'latencyUs', 'histogram', 'requests', 'rps', 'errors', 'isolation'] },
    },
  ],
};

const matrixCell = {
  type: 'object',
  required: ['scenario', 'target', 'probe', 'status'],
  properties: {
    scenario: { type: 'string', minLength: 1 },
    target: { type: 'string', minLength: 1 },
    probe: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    kind: { type: 'string' },
    status: { enum: ['ok', 'skipped', 'failed'] },
    verdict: { enum: ['isolated', 'shared', 'not applicable', 'failed'] },
    expected: {
      type: 'object',
      required: ['verdict', 'reason'],
      properties: { verdict: { enum: ['isolated', 'shared'] }, reason: { type: 'string' }, byDesign: { type: 'boolean' } },
    },
    reason: { type: 'string' },
    evidence: { type: 'array', items: { type: 'object', required: ['request'], properties: { request: { type: 'integer', minimum: 0 } } } },
    engine: { type: 'string' },
    migratedFrom: { type: 'string' },
  },
  allOf: [
    { if: { properties: { status: { enum: ['skipped', 'failed'] } } }, then: { required: ['reason'] } },
    { if: { properties: { status: { const: 'ok' } } }, then: { required: ['verdict'] } },
  ],
};

export const resultsSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'isobench results document',
  type: 'object',
  required: ['schemaVersion', 'createdAt', 'machine', 'versions', 'settings', 'runs', 'isolationMatrix'],
  properties: {
    schemaVersion: { type: 'integer', const: SCHEMA_VERSION },
    createdAt: { type: 'string', format: 'date-time' },
    machine: {
      type: 'object',
      required: ['cpuModel', 'cores', 'memoryBytes', 'kernel', 'kvm'],
      properties: {
        cpuModel: { type: 'string' },
        cores: { type: 'integer', minimum: 1 },
        memoryBytes: { type: 'integer', minimum: 0 },
        kernel: { type: 'string' },
        kvm: {
          type: 'object',
          required: ['present'],
          properties: { present: { type: 'boolean' }, module: { type: 'string' }, nested: { type: 'boolean' }, note: { type: 'string' } },
        },
      },
    },
    versions: { type: 'object', additionalProperties: { type: ['string', 'null'] } },
    settings: { type: 'object' },
    runs: { type: 'array', items: runRow },
    isolationMatrix: { type: 'array', items: matrixCell },
    micro: {
      type: 'array',
      items: {
        type: 'object',
        required: ['group', 'name', 'meanUs', 'samples'],
        properties: { group: { type: 'string' }, name: { type: 'string' }, meanUs: { type: 'number' }, samples: { type: 'integer' } },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat('date-time', { validate: (s: string) => !Number.isNaN(Date.parse(s)) });
const validate = ajv.compile(resultsSchema);

/** Problems with a results document, one line each; empty when it is valid. */
export function validateResults(doc: unknown): string[] {
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}

export function isResultsDocument(doc: unknown): doc is ResultsDocument {
  return validateResults(doc).length === 0;
}
