// Scenario deno-react-ssr: a React 19 product listing rendered on every request by Deno.serve.
// Defined by its scenario file, like every scenario; hooks.ts holds its build and page check.
import { join } from 'node:path';
import { SCENARIO_FILE_NAME, loadScenarioFile } from '../file/load.ts';
import { SCENARIO_DIR } from './bundle.ts';

export { denoBinary } from '../file/runtimes.ts';
export { checkPage, DENO_SERVER_BUNDLE } from './hooks.ts';
export const WASM_ENTRY = join(SCENARIO_DIR, 'wasm', 'entry.ts');

export const denoReactSsr = await loadScenarioFile(join(SCENARIO_DIR, SCENARIO_FILE_NAME));
