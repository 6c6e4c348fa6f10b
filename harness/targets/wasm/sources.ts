// Which scenarios have a wasm build, and from which entry. Only JavaScript scenarios can be
// componentized; the rest are skipped with a reason.
import { join } from 'node:path';
import {
  BUILD_DIR as DENO_REACT_SSR_BUILD,
  SCENARIO_DIR as DENO_REACT_SSR_DIR,
  bundle as bundleDenoReactSsr,
  type BundleResult,
} from '../../../scenarios/deno-react-ssr/bundle.ts';

export interface WasmSource {
  /** TypeScript entry that registers a fetch-event handler */
  entry: string;
  /** where the bundle, component and transpiled bindings go */
  buildDir: string;
  /** bundles `entry` into one ESM file (cached by the scenario) */
  bundle(entry: string, outfile: string): Promise<BundleResult>;
}

export const wasmSources: Record<string, WasmSource> = {
  'deno-react-ssr': {
    entry: join(DENO_REACT_SSR_DIR, 'wasm', 'entry.ts'),
    buildDir: join(DENO_REACT_SSR_BUILD, 'wasm'),
    bundle: bundleDenoReactSsr,
  },
};
