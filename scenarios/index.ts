import type { Scenario } from './scenario.ts';
import { pythonWsgi } from './python-wsgi/index.ts';
import { denoReactSsr } from './deno-react-ssr/index.ts';

// Every scenario isobench knows. Each owner adds its entry.
export const scenarios: Scenario[] = [pythonWsgi, denoReactSsr];
