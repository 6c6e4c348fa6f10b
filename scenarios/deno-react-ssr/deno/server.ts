// Deno entry: carries the shared routes over Deno.serve. Bundled to build/server.js.
// Listen address: `--host H --port P` on the command line, else HOST/PORT from the
// environment when Deno was granted env access, else 127.0.0.1:8000.
import { respond, type PlainResponse } from '../app/routes.ts';
import { isProbePath, respondProbe } from '../app/probes.ts';

// Just the slice of Deno's API this file uses, so the repo's Node-typed tsc accepts it.
declare const Deno: {
  args: string[];
  env: { get(name: string): string | undefined };
  permissions: { querySync(desc: { name: 'env'; variable: string }): { state: string } };
  serve(
    options: { hostname: string; port: number; onListen?: (addr: { hostname: string; port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): unknown;
};

function option(name: string): string | undefined {
  const flag = Deno.args.indexOf(`--${name}`);
  if (flag >= 0 && flag + 1 < Deno.args.length) return Deno.args[flag + 1];
  const envName = name.toUpperCase();
  if (Deno.permissions.querySync({ name: 'env', variable: envName }).state === 'granted') {
    return Deno.env.get(envName);
  }
  return undefined;
}

const hostname = option('host') ?? '127.0.0.1';
const port = Number(option('port') ?? '8000');

Deno.serve(
  {
    hostname,
    port,
    onListen: (addr) => console.log(`deno-react-ssr listening on http://${addr.hostname}:${addr.port}/`),
  },
  (request) => {
    const url = new URL(request.url);
    const toResponse = ({ status, contentType, body }: PlainResponse) => new Response(body, { status, headers: { 'content-type': contentType } });
    // measured routes stay synchronous; only the isolation probes may wait (the concurrent one holds)
    return isProbePath(url.pathname) ? respondProbe(url).then(toResponse) : toResponse(respond(url.pathname));
  },
);
