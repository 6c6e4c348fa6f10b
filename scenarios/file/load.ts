// Loads a scenario file (JSON, or a TypeScript/JavaScript module whose default export has the same
// shape) into the in-memory Scenario. Bad files fail with one line naming the file and the field.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import type { LaunchSpec, Route, Scenario, ScenarioSettings, WasmBuild } from '../scenario.ts';
import { scenarioFileSchema, type ScenarioFile, type ScenarioFileRoute, type ScenarioFileSetting } from './format.ts';
import { runtimeAvailability, runtimeFor, type Runtime } from './runtimes.ts';
import { probeFromDeclaration } from '../probes.ts';

export const SCENARIO_FILE_NAME = 'isobench.scenario.json';

/** A scenario file that cannot be used; the message is one line: `scenario file F: field: problem`. */
export class ScenarioFileError extends Error {}

const ajv = new Ajv({ allErrors: false, strict: false });
const validateFile = ajv.compile<ScenarioFile>(scenarioFileSchema);

type Hook = (...args: never[]) => unknown;
type Hooks = Record<string, unknown>;

/** routes[0].path, not /routes/0/path */
function fieldName(instancePath: string): string {
  return instancePath.split('/').slice(1).reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '') || '(top level)';
}

function describeAjvError(e: ErrorObject): string {
  const field = fieldName(e.instancePath);
  const p = e.params as Record<string, unknown>;
  // inside a oneOf (build, wasm) the first branch's complaint misleads: name the allowed forms
  const oneOf = /^#\/properties\/(build|wasm)\/oneOf\//.exec(e.schemaPath)?.[1];
  switch (oneOf ? 'oneOf' : e.keyword) {
    case 'required':
      return `${field === '(top level)' ? '' : `${field}: `}missing field '${String(p.missingProperty)}'`;
    case 'additionalProperties':
      return `${field === '(top level)' ? '' : `${field}: `}unknown field '${String(p.additionalProperty)}'`;
    case 'enum':
      return `${field}: must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'pattern':
      return `${field}: ${field.endsWith('path') || field === 'probePath' ? 'must start with /' : `must match ${String(p.pattern)}`}`;
    case 'oneOf':
      return `${oneOf ?? field}: ${(oneOf ?? field) === 'build' ? 'give either {"hook": NAME} or {"argv": [...]}' : (oneOf ?? field) === 'wasm' ? 'a wasm build is {"kind": "componentize-js", "entry", "buildDir", "bundleHook"} or {"kind": "pyodide", "app", "callable"?}' : 'does not match any allowed form'}`;
    default:
      return `${field}: ${e.message ?? 'is invalid'}`;
  }
}

function settingError(scenario: string, key: string, def: ScenarioFileSetting, value: unknown): Error {
  const range = [def.minimum !== undefined ? `>= ${def.minimum}` : '', def.maximum !== undefined ? `<= ${def.maximum}` : ''].filter(Boolean).join(' and ');
  const what = def.enum ? `one of ${def.enum.join(', ')}` : `${def.type === 'integer' ? 'a whole number' : `a ${def.type}`}${range ? ` ${range}` : ''}`;
  return new Error(`${scenario}: ${key} must be ${what}, got ${String(value)}`);
}

/** a setting's value: the given one (strings from --set are converted) or its default; throws with a one-line reason */
export function settingValue(scenario: string, key: string, def: ScenarioFileSetting, given: unknown): number | boolean | string {
  const raw = given === undefined || given === null || given === '' ? def.default : given;
  let value: number | boolean | string;
  if (def.type === 'number' || def.type === 'integer') {
    const n = typeof raw === 'string' ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isFinite(n) || (def.type === 'integer' && !Number.isInteger(n))) throw settingError(scenario, key, def, raw);
    if ((def.minimum !== undefined && n < def.minimum) || (def.maximum !== undefined && n > def.maximum)) throw settingError(scenario, key, def, raw);
    value = n;
  } else if (def.type === 'boolean') {
    if (typeof raw === 'boolean') value = raw;
    else if (raw === 'true' || raw === '1') value = true;
    else if (raw === 'false' || raw === '0') value = false;
    else throw settingError(scenario, key, def, raw);
  } else {
    if (typeof raw !== 'string') throw settingError(scenario, key, def, raw);
    value = raw;
  }
  if (def.enum && !def.enum.includes(value as string | number)) throw settingError(scenario, key, def, raw);
  return value;
}

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;
const BUILT_IN_PLACEHOLDERS = ['host', 'port', 'dir'];

function expand(text: string, values: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (_, key: string) => values[key] ?? `{${key}}`);
}

/** a last-component `*` glob (e.g. /usr/lib/python3*), else the path itself */
function expandGlob(p: string): string[] {
  const base = path.basename(p);
  if (!base.includes('*')) return [p];
  const re = new RegExp(`^${base.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  try {
    return readdirSync(path.dirname(p)).filter((e) => re.test(e)).map((e) => path.join(path.dirname(p), e));
  } catch {
    return [];
  }
}

function routeCheck(route: ScenarioFileRoute, hooks: Hooks): Route['check'] {
  const expected = route.status ?? 200;
  const c = route.check ?? {};
  const contains = c.contains === undefined ? [] : Array.isArray(c.contains) ? c.contains : [c.contains];
  const regex = c.regex !== undefined ? new RegExp(c.regex) : null;
  const hook = c.hook ? (hooks[c.hook] as (status: number, body: string) => string | null) : null;
  const short = (body: string) => JSON.stringify(body.slice(0, 40));
  return (status, body) => {
    if (status !== expected) return `status ${status}, expected ${expected}`;
    if (c.equals !== undefined && body !== c.equals) return `unexpected body ${short(body)}`;
    for (const part of contains) if (!body.includes(part)) return `body does not contain ${JSON.stringify(part)}`;
    if (regex && !regex.test(body)) return `body does not match /${c.regex}/`;
    return hook ? hook(status, body) : null;
  };
}

function runBuildCommand(argv: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    child.once('error', (err) => reject(new Error(`build command ${argv[0]} failed: ${err.message}`)));
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`build command ${argv.join(' ')} exited ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`)),
    );
  });
}

/** reads the definition: JSON, or a module's default export (the module is then also its hooks) */
async function readDefinition(file: string, shown: string): Promise<{ definition: unknown; hooks: Hooks | null }> {
  if (!existsSync(file)) throw new ScenarioFileError(`scenario file ${shown}: not found`);
  if (/\.(ts|mts|js|mjs)$/.test(file)) {
    let mod: Hooks;
    try {
      mod = (await import(pathToFileURL(file).href)) as Hooks;
    } catch (err) {
      throw new ScenarioFileError(`scenario file ${shown}: cannot be imported: ${(err as Error).message.split('\n')[0]}`);
    }
    if (!mod.default || typeof mod.default !== 'object') throw new ScenarioFileError(`scenario file ${shown}: has no default export with the scenario definition`);
    return { definition: mod.default, hooks: mod };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioFileError(`scenario file ${shown}: cannot be read: ${(err as Error).message}`);
  }
  try {
    return { definition: JSON.parse(text), hooks: null };
  } catch (err) {
    throw new ScenarioFileError(`scenario file ${shown}: not valid JSON: ${(err as Error).message}`);
  }
}

export async function loadScenarioFile(fileArg: string): Promise<Scenario> {
  const file = path.resolve(fileArg);
  const shown = path.relative(process.cwd(), file) || file;
  const fail = (message: string): never => {
    throw new ScenarioFileError(`scenario file ${shown}: ${message}`);
  };
  const dir = path.dirname(file);
  let { definition, hooks } = await readDefinition(file, shown);
  if (!validateFile(definition)) fail(describeAjvError(validateFile.errors![0]!));
  const def = definition as ScenarioFile;

  if (def.module) {
    if (hooks) fail(`module: a module definition is its own hooks module`);
    const modulePath = path.resolve(dir, def.module);
    if (!existsSync(modulePath)) fail(`module: ${def.module} not found`);
    try {
      hooks = (await import(pathToFileURL(modulePath).href)) as Hooks;
    } catch (err) {
      fail(`module: ${def.module} cannot be imported: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const hookNamed = (field: string, hookName: string): Hook => {
    const fn = hooks?.[hookName];
    if (typeof fn !== 'function') fail(`${field}: hook '${hookName}' is not a function exported by ${def.module ?? 'the module'}${hooks ? '' : ' (the file names no module)'}`);
    return fn as Hook;
  };

  const settingDefs = def.settings ?? {};
  for (const [key, s] of Object.entries(settingDefs)) {
    if (BUILT_IN_PLACEHOLDERS.includes(key)) fail(`settings.${key}: '${key}' is a built-in placeholder, choose another name`);
    if (s.type !== 'boolean' && s.args) fail(`settings.${key}.args: only boolean settings expand to arguments`);
    try {
      settingValue(def.name, key, s, s.default);
    } catch (err) {
      fail(`settings.${key}.default: ${(err as Error).message.replace(`${def.name}: ${key} `, '')}`);
    }
  }
  const known = [...BUILT_IN_PLACEHOLDERS, ...Object.keys(settingDefs)];
  const checkPlaceholders = (field: string, text: string) => {
    for (const [, key] of text.matchAll(PLACEHOLDER)) if (!known.includes(key!)) fail(`${field}: unknown placeholder {${key}} (known: ${known.map((k) => `{${k}}`).join(' ')})`);
  };
  def.server.argv.forEach((a, i) => checkPlaceholders(`server.argv[${i}]`, a));
  Object.entries(def.server.env ?? {}).forEach(([k, v]) => checkPlaceholders(`server.env.${k}`, v));
  (def.server.readPaths ?? []).forEach((p, i) => checkPlaceholders(`server.readPaths[${i}]`, p));
  if (def.server.cwd) checkPlaceholders('server.cwd', def.server.cwd);
  if (/\{[A-Za-z]/.test(def.server.argv[0]!)) fail(`server.argv[0]: the program cannot be a placeholder`);
  const told = [...def.server.argv, ...Object.values(def.server.env ?? {})].some((t) => t.includes('{port}'));
  if (!told) fail(`server: nothing tells the server its port: put {port} in server.argv or a server.env value`);

  const probeNames = new Set<string>();
  const probes = (def.probes ?? []).map((p, i) => {
    if (probeNames.has(p.name)) fail(`probes[${i}].name: '${p.name}' is declared twice`);
    probeNames.add(p.name);
    const spec = probeFromDeclaration(p);
    if (typeof spec === 'string') fail(`probes[${i}]: ${spec}`);
    return spec as Exclude<typeof spec, string>;
  });

  const seen = new Set<string>();
  def.routes.forEach((r, i) => {
    if (seen.has(r.name)) fail(`routes[${i}].name: '${r.name}' is used twice`);
    seen.add(r.name);
    if (r.check?.regex !== undefined) {
      try {
        new RegExp(r.check.regex);
      } catch (err) {
        fail(`routes[${i}].check.regex: ${(err as Error).message}`);
      }
    }
    if (r.check?.hook) hookNamed(`routes[${i}].check.hook`, r.check.hook);
    if (r.body !== undefined && (r.method ?? 'GET') === 'GET') fail(`routes[${i}].body: a GET request carries no body (set method)`);
  });

  let build: () => Promise<void> = async () => {};
  if (def.build && 'hook' in def.build) {
    const fn = hookNamed('build.hook', def.build.hook) as unknown as (ctx: { dir: string }) => Promise<void>;
    build = () => fn({ dir });
  } else if (def.build && 'argv' in def.build) {
    const { argv, cwd } = def.build;
    build = () => runBuildCommand(argv, path.resolve(dir, cwd ?? '.'));
  }

  let wasm: WasmBuild | undefined;
  if (def.wasm?.kind === 'componentize-js') {
    const bundle = hookNamed('wasm.bundleHook', def.wasm.bundleHook) as unknown as Extract<WasmBuild, { kind: 'componentize-js' }>['bundle'];
    wasm = { kind: 'componentize-js', entry: path.resolve(dir, def.wasm.entry), buildDir: path.resolve(dir, def.wasm.buildDir), bundle };
  } else if (def.wasm?.kind === 'pyodide') {
    const appFile = path.resolve(dir, def.wasm.app);
    if (!existsSync(appFile)) fail(`wasm.app: ${def.wasm.app} not found`);
    wasm = { kind: 'pyodide', appFile, callable: def.wasm.callable ?? 'application' };
  }

  const runtime: Runtime = runtimeFor(def.server.argv[0]!, dir);
  const resolveSettings = (settings: Partial<ScenarioSettings>): Record<string, number | boolean | string> =>
    Object.fromEntries(Object.entries(settingDefs).map(([key, s]) => [key, settingValue(def.name, key, s, settings[key])]));

  const launch = (settings: ScenarioSettings): LaunchSpec => {
    const found = runtime.resolve(settings);
    if ('reason' in found) throw new Error(found.reason);
    const values = resolveSettings(settings);
    const text: Record<string, string> = { host: settings.host, port: String(settings.port), dir, ...Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)])) };
    const argv = [found.binary];
    for (const arg of def.server.argv.slice(1)) {
      const whole = /^\{([A-Za-z][A-Za-z0-9_]*)\}$/.exec(arg)?.[1];
      const args = whole ? settingDefs[whole]?.args : undefined;
      if (args) argv.push(...(args[String(values[whole!]) as 'true' | 'false'] ?? []));
      else argv.push(expand(arg, text));
    }
    const cwd = path.resolve(dir, expand(def.server.cwd ?? '.', text));
    const env = { PATH: '/usr/bin:/bin', ...runtime.env, ...Object.fromEntries(Object.entries(def.server.env ?? {}).map(([k, v]) => [k, expand(v, text)])) };
    const own = (def.server.readPaths ?? ['.']).flatMap((p) => expandGlob(path.resolve(dir, expand(p, text))));
    const readPaths = new Set([found.binary, ...runtime.readPaths(), ...own]);
    try {
      readPaths.add(realpathSync(found.binary));
    } catch {
      // reported by availability()
    }
    return { argv, env, cwd, readPaths: [...readPaths] };
  };

  const routes: Route[] = def.routes.map((r) => ({
    name: r.name,
    path: r.path,
    ...(r.method && r.method !== 'GET' ? { method: r.method } : {}),
    ...(r.body !== undefined ? { body: r.body } : {}),
    check: routeCheck(r, hooks ?? {}),
  }));

  return {
    name: def.name,
    description: def.description ?? `${def.name} (${shown})`,
    routes,
    ...(def.keepAlive !== undefined ? { keepAlive: def.keepAlive } : {}),
    probePath: def.probePath ?? '',
    ...(probes.length ? { probes } : {}),
    ...(def.engine ? { engine: def.engine } : {}),
    ...(wasm ? { wasm } : {}),
    definedIn: file,
    settingKeys: Object.keys(settingDefs),
    availability: () => runtimeAvailability(runtime),
    build,
    launch,
    describeSettings(settings) {
      const found = runtime.resolve(settings);
      return { ...(def.describe ?? {}), program: 'binary' in found ? found.binary : `missing: ${found.reason}`, ...resolveSettings(settings) };
    },
  };
}

/** a --scenario argument that names a file rather than a registered scenario */
export function looksLikeScenarioFile(arg: string): boolean {
  return arg.includes('/') || /\.(json|ts|mts|js|mjs)$/.test(arg);
}
