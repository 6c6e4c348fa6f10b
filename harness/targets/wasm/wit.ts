// The WIT world the component is built against. StarlingMonkey (inside componentize-js 0.23)
// exports and imports wasi:*@0.2.10, while jco ships complete WIT only for 0.2.12; the 0.2.x
// interfaces StarlingMonkey uses did not change between the two, so we write jco's 0.2.12
// packages out again under version 0.2.10.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir } from './packages.ts';

export const WASI_VERSION = '0.2.10';
const SOURCE_VERSION = '0.2.12';
export const WORLD_NAME = 'isobench-http';

function jcoWitDir(): string {
  return join(packageDir('@bytecodealliance/jco'), 'lib', 'wit', 'builtin', SOURCE_VERSION);
}

/** writes the WIT folder (world + deps) into `dir`, replacing what was there */
export function writeWit(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  const source = jcoWitDir();
  for (const pkg of readdirSync(source).sort()) {
    const text = readFileSync(join(source, pkg, 'package.wit'), 'utf8').replaceAll(`@${SOURCE_VERSION}`, `@${WASI_VERSION}`);
    mkdirSync(join(dir, 'deps', pkg), { recursive: true });
    writeFileSync(join(dir, 'deps', pkg, 'package.wit'), text);
  }
  writeFileSync(
    join(dir, 'world.wit'),
    `package isobench:wasm;\n\nworld ${WORLD_NAME} {\n  include wasi:http/proxy@${WASI_VERSION};\n}\n`,
  );
}
