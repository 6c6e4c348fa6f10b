// The scenario file: a workload defined outside the code (isobench.scenario.json, or a TypeScript
// module whose default export has the same shape). FORMAT.md documents every field; the loader
// (load.ts) validates a file against scenarioFileSchema and turns it into the in-memory Scenario.

export interface ScenarioFileSetting {
  type: 'number' | 'integer' | 'boolean' | 'string';
  default: number | boolean | string;
  minimum?: number;
  maximum?: number;
  enum?: (number | string)[];
  description?: string;
  /** boolean settings: an argv element that is exactly "{name}" expands to args[String(value)] */
  args?: { true?: string[]; false?: string[] };
}

export interface ScenarioFileRoute {
  name: string;
  path: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: string;
  /** expected status (default 200) */
  status?: number;
  /** optional body check; every given kind must pass */
  check?: { equals?: string; contains?: string | string[]; regex?: string; hook?: string };
}

/** An isolation probe. A name from the catalogue (scenarios/probes.ts) needs nothing else: its route
 * is /isolation/<name>, its description and kind come from the catalogue. Any other probe gives
 * path, what and kind. notApplicable: why the scenario cannot run it (its cells read `not applicable`). */
export interface ScenarioFileProbe {
  name: string;
  path?: string;
  what?: string;
  kind?: 'carry' | 'fresh' | 'capability' | 'concurrent';
  /** targets it does not apply to (default: none); notApplicable says why */
  notOn?: string[];
  notApplicable?: string;
}

export interface ScenarioFile {
  name: string;
  description?: string;
  /** false when the server closes every connection: its rows always use the per-request client */
  keepAlive?: boolean;
  /** TypeScript/JavaScript module (relative to the file) with the hooks the file names */
  module?: string;
  server: {
    /** argv[0]: python | deno | node | a path relative to the file | a program on PATH */
    argv: string[];
    env?: Record<string, string>;
    cwd?: string;
    /** what the server reads besides its runtime (the engine's file policy); default the scenario folder */
    readPaths?: string[];
  };
  routes: ScenarioFileRoute[];
  /** a route that increments a module-level counter and answers it as plain decimal */
  probePath?: string;
  /** isolation probes (name, path, what it checks); carried for the isolation suite */
  probes?: ScenarioFileProbe[];
  settings?: Record<string, ScenarioFileSetting>;
  /** fixed facts recorded in results next to the settings */
  describe?: Record<string, unknown>;
  build?: { hook: string } | { argv: string[]; cwd?: string };
  wasm?:
    | { kind: 'componentize-js'; entry: string; buildDir: string; bundleHook: string }
    | { kind: 'pyodide'; app: string; callable?: string };
  engine?: { memoryMb?: number; engineWarmup?: number; privateDirEnv?: string[]; resetThresholdBytes?: number };
}

const name = { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]*$', maxLength: 64 };
const urlPath = { type: 'string', pattern: '^/', maxLength: 2048 };
const stringList = { type: 'array', items: { type: 'string' } };

export const scenarioFileSchema = {
  type: 'object',
  required: ['name', 'server', 'routes'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    name,
    description: { type: 'string' },
    keepAlive: { type: 'boolean' },
    module: { type: 'string', minLength: 1 },
    server: {
      type: 'object',
      required: ['argv'],
      additionalProperties: false,
      properties: {
        argv: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
        env: { type: 'object', additionalProperties: { type: 'string' } },
        cwd: { type: 'string', minLength: 1 },
        readPaths: stringList,
      },
    },
    routes: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'path'],
        additionalProperties: false,
        properties: {
          name,
          path: urlPath,
          method: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] },
          body: { type: 'string' },
          status: { type: 'integer', minimum: 100, maximum: 599 },
          check: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            properties: {
              equals: { type: 'string' },
              contains: { anyOf: [{ type: 'string' }, stringList] },
              regex: { type: 'string' },
              hook: { type: 'string', minLength: 1 },
            },
          },
        },
      },
    },
    probePath: urlPath,
    probes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name,
          path: urlPath,
          what: { type: 'string', minLength: 1 },
          kind: { enum: ['carry', 'fresh', 'capability', 'concurrent'] },
          notOn: { type: 'array', items: { type: 'string', minLength: 1 } },
          notApplicable: { type: 'string', minLength: 1 },
        },
      },
    },
    settings: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_]*$' },
      additionalProperties: {
        type: 'object',
        required: ['type', 'default'],
        additionalProperties: false,
        properties: {
          type: { enum: ['number', 'integer', 'boolean', 'string'] },
          default: { type: ['number', 'boolean', 'string'] },
          minimum: { type: 'number' },
          maximum: { type: 'number' },
          enum: { type: 'array', items: { type: ['number', 'string'] } },
          description: { type: 'string' },
          args: { type: 'object', additionalProperties: false, properties: { true: stringList, false: stringList } },
        },
      },
    },
    describe: { type: 'object' },
    build: {
      oneOf: [
        { type: 'object', required: ['hook'], additionalProperties: false, properties: { hook: { type: 'string', minLength: 1 } } },
        {
          type: 'object',
          required: ['argv'],
          additionalProperties: false,
          properties: { argv: { type: 'array', minItems: 1, items: { type: 'string' } }, cwd: { type: 'string' } },
        },
      ],
    },
    wasm: {
      type: 'object',
      required: ['kind'],
      properties: { kind: { enum: ['componentize-js', 'pyodide'] } },
      oneOf: [
        {
          type: 'object',
          required: ['kind', 'entry', 'buildDir', 'bundleHook'],
          additionalProperties: false,
          properties: { kind: { const: 'componentize-js' }, entry: { type: 'string' }, buildDir: { type: 'string' }, bundleHook: { type: 'string' } },
        },
        {
          type: 'object',
          required: ['kind', 'app'],
          additionalProperties: false,
          properties: { kind: { const: 'pyodide' }, app: { type: 'string' }, callable: { type: 'string' } },
        },
      ],
    },
    engine: {
      type: 'object',
      additionalProperties: false,
      properties: {
        memoryMb: { type: 'integer', minimum: 16 },
        engineWarmup: { type: 'integer', minimum: 0 },
        privateDirEnv: stringList,
        resetThresholdBytes: { type: 'integer', minimum: 0 },
      },
    },
  },
} as const;
