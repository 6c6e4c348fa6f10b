// The componentize-js kind of a scenario's wasm build (scenario file `wasm` section): a JavaScript
// entry that registers a fetch-event handler, bundled and componentized by component.ts.
import type { WasmBuild } from '../../../scenarios/scenario.ts';

export type WasmSource = Extract<WasmBuild, { kind: 'componentize-js' }>;
