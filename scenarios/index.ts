import type { Scenario } from './scenario.ts';
import { pythonWsgi } from './python-wsgi/index.ts';
import { denoReactSsr } from './deno-react-ssr/index.ts';

// Every built-in scenario isobench knows, each loaded from its folder's isobench.scenario.json.
// Users' own scenarios come through `--scenario PATH` (scenarios/file/load.ts), the same loader.
export const scenarios: Scenario[] = [pythonWsgi, denoReactSsr];
