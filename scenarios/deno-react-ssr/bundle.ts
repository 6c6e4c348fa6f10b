// esbuild bundling of one entry (Deno or wasm) into a single ESM file, skipped when the
// inputs have not changed since the last build (hash stored next to the output).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export const SCENARIO_DIR = dirname(fileURLToPath(import.meta.url));
export const BUILD_DIR = join(SCENARIO_DIR, 'build');

const SOURCE_DIRS = ['app', 'deno', 'wasm'].map((d) => join(SCENARIO_DIR, d));
const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listFiles(path) : [path];
    });
}

/** hash of everything that can change a bundle: our sources, the options, and tool/library versions */
export function sourcesHash(extra: string): string {
  const hash = createHash('sha256');
  hash.update(extra);
  for (const name of ['esbuild', 'react', 'react-dom']) hash.update(`${name}@${packageVersion(name)}\n`);
  for (const dir of SOURCE_DIRS) {
    for (const file of listFiles(dir)) {
      hash.update(file.slice(SCENARIO_DIR.length));
      hash.update(readFileSync(file));
    }
  }
  return hash.digest('hex');
}

export interface BundleResult {
  outfile: string;
  cached: boolean;
}

export async function bundle(entry: string, outfile: string): Promise<BundleResult> {
  const options: esbuild.BuildOptions = {
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    // the browser builds of react-dom/server use only web APIs, which both Deno and StarlingMonkey have
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'none',
    logLevel: 'silent',
  };
  const stamp = `${outfile}.inputs-sha256`;
  const hash = sourcesHash(JSON.stringify({ ...options, entryPoints: [entry.slice(SCENARIO_DIR.length)], outfile: undefined }));
  if (existsSync(outfile) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) {
    return { outfile, cached: true };
  }
  mkdirSync(dirname(outfile), { recursive: true });
  await esbuild.build(options);
  writeFileSync(stamp, hash);
  return { outfile, cached: false };
}
