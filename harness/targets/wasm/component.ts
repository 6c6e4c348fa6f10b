// Build step of the wasm target: scenario bundle -> wasi:http component (componentize-js,
// offline, no AOT) -> jco bindings for sync per-request instantiation. Each stage is skipped
// when a hash of its inputs matches the stamp left by the last build.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WasmSource } from './sources.ts';
import { WORLD_NAME, writeWit } from './wit.ts';
import { packageVersion } from './packages.ts';

export const TRANSPILED_NAME = 'component';


export interface ComponentBuild {
  componentPath: string;
  /** jco output: `${TRANSPILED_NAME}.js` exporting instantiate(), plus core .wasm modules */
  transpiledDir: string;
  /** stages that actually ran (empty when everything came from cache) */
  rebuilt: string[];
  componentizeMs?: number;
}

function sha256(...parts: (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

function upToDate(output: string, stamp: string, hash: string): boolean {
  return existsSync(output) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash;
}

async function componentize(bundlePath: string, witDir: string): Promise<Uint8Array> {
  // componentize-js runs its splicer as a component on the process-wide preview2 shim, which
  // grants no file access by default ("failed to get path metadata ... os error 44"). Open
  // the host root to it for the duration of the call only.
  const filesystem = (await import('@bytecodealliance/preview2-shim/filesystem')) as unknown as {
    _setPreopens(preopens: Record<string, string>): void;
    _clearPreopens(): void;
  };
  const { componentize: run } = await import('@bytecodealliance/componentize-js');
  filesystem._setPreopens({ '/': '/' });
  try {
    // no enableAot: weval downloads its binary, which fails offline
    const { component } = await run({ sourcePath: bundlePath, witPath: witDir, worldName: WORLD_NAME });
    return component;
  } finally {
    filesystem._clearPreopens();
  }
}

async function transpile(component: Uint8Array, outDir: string): Promise<void> {
  const { transpile: run } = await import('@bytecodealliance/jco');
  const { files } = await run(component, {
    name: TRANSPILED_NAME,
    instantiation: 'sync',
    noTypescript: true,
    quiet: true,
  });
  rmSync(outDir, { recursive: true, force: true });
  for (const [name, bytes] of Object.entries(files)) {
    const path = join(outDir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, bytes);
  }
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
}

export async function buildComponent(source: WasmSource, log: (line: string) => void = () => {}): Promise<ComponentBuild> {
  const { buildDir } = source;
  mkdirSync(buildDir, { recursive: true });
  const rebuilt: string[] = [];

  const bundlePath = join(buildDir, 'entry.js');
  const bundled = await source.bundle(source.entry, bundlePath);
  if (!bundled.cached) rebuilt.push('bundle');

  const componentPath = join(buildDir, 'component.wasm');
  const componentStamp = `${componentPath}.inputs-sha256`;
  const componentHash = sha256(
    readFileSync(bundlePath),
    `componentize-js@${packageVersion('@bytecodealliance/componentize-js')}`,
    `jco@${packageVersion('@bytecodealliance/jco')}`,
    readFileSync(new URL('./wit.ts', import.meta.url)),
  );
  let componentizeMs: number | undefined;
  if (!upToDate(componentPath, componentStamp, componentHash)) {
    log('componentize-js: building the wasi:http component (about 20-30 s)');
    const witDir = join(buildDir, 'wit');
    writeWit(witDir);
    const started = performance.now();
    const component = await componentize(bundlePath, witDir);
    componentizeMs = performance.now() - started;
    writeFileSync(componentPath, component);
    writeFileSync(componentStamp, componentHash);
    rebuilt.push('component');
  }

  const transpiledDir = join(buildDir, 'jco');
  const transpiledStamp = join(buildDir, 'jco.inputs-sha256');
  const transpiledHash = sha256(readFileSync(componentPath), `jco@${packageVersion('@bytecodealliance/jco')}`);
  if (!upToDate(join(transpiledDir, `${TRANSPILED_NAME}.js`), transpiledStamp, transpiledHash)) {
    await transpile(readFileSync(componentPath), transpiledDir);
    writeFileSync(transpiledStamp, transpiledHash);
    rebuilt.push('transpile');
  }
  return { componentPath, transpiledDir, rebuilt, componentizeMs };
}

/** core modules of the transpiled component, by the file name the bindings ask for */
export function coreModuleFiles(transpiledDir: string): string[] {
  return readdirSync(transpiledDir).filter((name) => name.endsWith('.wasm')).sort();
}
