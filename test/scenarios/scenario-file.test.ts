// The scenario-file loader: a good file becomes a Scenario (placeholders, settings, checks, hooks),
// and every kind of bad file fails with one line naming the file and the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadScenarioFile, ScenarioFileError } from '../../scenarios/file/load.ts';
import { pythonWsgi } from '../../scenarios/python-wsgi/index.ts';
import { denoReactSsr } from '../../scenarios/deno-react-ssr/index.ts';
import { root, runCli } from '../harness/helpers.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'isobench-scenario-file-'));
const good = {
  name: 'my-app',
  server: { argv: ['node', '{dir}/server.mjs', '--greeting', '{greeting}', '{verbose}'], env: { PORT: '{port}', HOST: '{host}' }, readPaths: ['server.mjs', 'data'] },
  routes: [
    { name: 'hello', path: '/', check: { equals: 'hi\n' } },
    { name: 'json', path: '/j', status: 201, check: { contains: ['"a"', '"b"'], regex: '^\\{' } },
    { name: 'post', path: '/p', method: 'POST', body: 'x=1' },
  ],
  probePath: '/probe',
  settings: {
    greeting: { type: 'string', default: 'hello' },
    verbose: { type: 'boolean', default: false, args: { true: ['--verbose', '--trace'] } },
    workersHint: { type: 'integer', default: 2, minimum: 1, maximum: 8 },
  },
  engine: { memoryMb: 81920 },
};

function writeScenario(name: string, content: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** good with one change applied */
function variant(change: (d: any) => void): unknown {
  const d = structuredClone(good);
  change(d);
  return d;
}

test('a good file: launch expands placeholders, settings and read paths; checks and method/body carry over', async () => {
  const s = await loadScenarioFile(writeScenario('good.json', good));
  assert.equal(s.name, 'my-app');
  assert.equal(s.probePath, '/probe');
  assert.deepEqual(s.engine, { memoryMb: 81920 });
  const spec = s.launch({ host: '127.0.0.1', port: 8123 });
  assert.deepEqual(spec.argv, [process.execPath, path.join(dir, 'server.mjs'), '--greeting', 'hello']);
  assert.equal(spec.env.PORT, '8123');
  assert.equal(spec.env.HOST, '127.0.0.1');
  assert.equal(spec.cwd, dir);
  assert.ok(spec.readPaths.includes(path.join(dir, 'server.mjs')) && spec.readPaths.includes(path.join(dir, 'data')) && spec.readPaths.includes(process.execPath));
  const loud = s.launch({ host: '127.0.0.1', port: 1, verbose: 'true', greeting: 'hey' });
  assert.deepEqual(loud.argv.slice(2), ['--greeting', 'hey', '--verbose', '--trace']);
  assert.throws(() => s.launch({ host: '127.0.0.1', port: 1, workersHint: '9' }), /^Error: my-app: workersHint must be a whole number >= 1 and <= 8, got 9$/);
  assert.deepEqual(s.describeSettings({ host: '127.0.0.1', port: 1 }), { program: process.execPath, greeting: 'hello', verbose: false, workersHint: 2 });
  const [hello, json, post] = s.routes;
  assert.equal(hello!.check(200, 'hi\n'), null);
  assert.match(hello!.check(200, 'ho\n')!, /unexpected body/);
  assert.match(hello!.check(500, 'hi\n')!, /status 500, expected 200/);
  assert.equal(json!.check(201, '{"a":1,"b":2}'), null);
  assert.match(json!.check(201, '{"a":1}')!, /does not contain "\\"b\\""/);
  assert.match(json!.check(201, '["a","b"]')!, /does not match/);
  assert.equal(post!.method, 'POST');
  assert.equal(post!.body, 'x=1');
  assert.equal(post!.check(200, 'anything'), null);
  assert.equal((await s.availability()).ok, true);
});

test('a TypeScript definition is its own hooks module', async () => {
  const file = writeScenario(
    'ts.scenario.ts',
    `export default { name: 'ts-app', server: { argv: ['node', 'x.mjs', '{port}'] }, routes: [{ name: 'a', path: '/', check: { hook: 'checkA' } }], build: { hook: 'build' } };
     export let built = 0;
     export async function build() { built++; }
     export function checkA(status, body) { return body === 'A' ? null : 'not A'; }`,
  );
  const s = await loadScenarioFile(file);
  assert.equal(s.routes[0]!.check(200, 'A'), null);
  assert.equal(s.routes[0]!.check(200, 'B'), 'not A');
  await s.build();
  assert.equal(((await import(file)) as { built: number }).built, 1);
});

test('the built-in scenarios come from their scenario files', () => {
  assert.match(pythonWsgi.definedIn!, /scenarios\/python-wsgi\/isobench\.scenario\.json$/);
  assert.match(denoReactSsr.definedIn!, /scenarios\/deno-react-ssr\/isobench\.scenario\.json$/);
  assert.equal(pythonWsgi.wasm?.kind, 'pyodide');
  assert.equal(denoReactSsr.wasm?.kind, 'componentize-js');
  assert.deepEqual(denoReactSsr.engine?.privateDirEnv, ['DENO_DIR']);
});

const bad: [string, unknown, RegExp][] = [
  ['missing.json', null, /: not found$/],
  ['broken.json', '{ "name": "x", ', /: not valid JSON: /],
  ['no-name.json', variant((d) => delete d.name), /: missing field 'name'$/],
  ['extra.json', variant((d) => (d.colour = 'red')), /: unknown field 'colour'$/],
  ['route-path.json', variant((d) => (d.routes[1].path = 'j')), /: routes\[1\]\.path: must start with \/$/],
  ['method.json', variant((d) => (d.routes[0].method = 'FETCH')), /: routes\[0\]\.method: must be one of "GET", "POST"/],
  ['no-routes.json', variant((d) => (d.routes = [])), /: routes: must NOT have fewer than 1 items$/],
  ['argv-type.json', variant((d) => (d.server.argv = 'node server.mjs')), /: server\.argv: must be array$/],
  ['placeholder.json', variant((d) => (d.server.argv[1] = '{prot}')), /: server\.argv\[1\]: unknown placeholder \{prot\} \(known: \{host\} \{port\} \{dir\} \{greeting\}/],
  ['no-port.json', variant((d) => delete d.server.env.PORT), /: server: nothing tells the server its port/],
  ['dup-route.json', variant((d) => (d.routes[1].name = 'hello')), /: routes\[1\]\.name: 'hello' is used twice$/],
  ['regex.json', variant((d) => (d.routes[1].check.regex = '(')), /: routes\[1\]\.check\.regex: Invalid regular expression/],
  ['hook.json', variant((d) => (d.routes[0].check = { hook: 'checkIt' })), /: routes\[0\]\.check\.hook: hook 'checkIt' is not a function exported by the module \(the file names no module\)$/],
  ['get-body.json', variant((d) => delete d.routes[2].method), /: routes\[2\]\.body: a GET request carries no body/],
  ['setting-default.json', variant((d) => (d.settings.workersHint.default = 0)), /: settings\.workersHint\.default: must be a whole number >= 1 and <= 8, got 0$/],
  ['setting-type.json', variant((d) => (d.settings.greeting.type = 'text')), /: settings\.greeting\.type: must be one of/],
  ['build.json', variant((d) => (d.build = { shell: 'make' })), /: build: give either \{"hook": NAME\} or \{"argv": \[\.\.\.\]\}$/],
  ['wasm.json', variant((d) => (d.wasm = { kind: 'pyodide' })), /: wasm: a wasm build is /],
  ['module.json', variant((d) => (d.module = './nowhere.ts')), /: module: \.\/nowhere\.ts not found$/],
];

for (const [name, content, message] of bad) {
  test(`bad scenario file ${name}: one line naming the file and the field`, async () => {
    const file = content === null ? path.join(dir, name) : writeScenario(name, content);
    await assert.rejects(loadScenarioFile(file), (err: Error) => {
      assert.ok(err instanceof ScenarioFileError, String(err));
      assert.ok(err.message.startsWith(`scenario file ${path.relative(process.cwd(), file)}: `), err.message);
      assert.match(err.message, message);
      assert.equal(err.message.split('\n').length, 1);
      return true;
    });
  });
}

test('isobench run --scenario BAD_FILE → exit 2 with one line, nothing measured', async () => {
  const file = writeScenario('cli-bad.json', variant((d) => (d.routes[0].path = 'nope')));
  const r = await runCli(['run', '--scenario', file, '--target', 'native', '--requests', '5', '--no-tui']);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim(), `isobench: scenario file ${path.relative(root, file)}: routes[0].path: must start with /`);
  assert.equal(r.stdout, '');
});

test('a scenario file may not take a built-in name', async () => {
  const file = writeScenario('clash.json', variant((d) => (d.name = 'python-wsgi')));
  const r = await runCli(['run', '--scenario', file, '--target', 'native', '--requests', '5', '--no-tui']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^isobench: scenario file .*clash\.json: name 'python-wsgi' is already a built-in scenario/);
});
