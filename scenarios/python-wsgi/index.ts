// python-wsgi: a WSGI app on the standard library's wsgiref, single-threaded, closing every
// connection. Defined by its scenario file, like every scenario.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCENARIO_FILE_NAME, loadScenarioFile } from '../file/load.ts';

export { pythonFor } from '../file/runtimes.ts';

export const pythonWsgi = await loadScenarioFile(path.join(path.dirname(fileURLToPath(import.meta.url)), SCENARIO_FILE_NAME));
