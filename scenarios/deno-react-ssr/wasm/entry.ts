// wasm entry: carries the shared routes over a wasi:http fetch event (StarlingMonkey).
// The polyfill import must stay first: react-dom/server needs MessageChannel at load.
import './message-channel.ts';
import { respond, type PlainResponse } from '../app/routes.ts';
import { isProbePath, respondProbe } from '../app/probes.ts';

interface FetchEvent {
  request: Request;
  respondWith(response: Response | Promise<Response>): void;
}

addEventListener('fetch', (event) => {
  const fetchEvent = event as unknown as FetchEvent;
  const url = new URL(fetchEvent.request.url);
  const toResponse = ({ status, contentType, body }: PlainResponse) => new Response(body, { status, headers: { 'content-type': contentType } });
  // the in-process V8 host serves one request at a time and runs no timers while it waits: the
  // concurrent probe's writer does not hold there
  fetchEvent.respondWith(isProbePath(url.pathname) ? respondProbe(url, false).then(toResponse) : toResponse(respond(url.pathname)));
});
