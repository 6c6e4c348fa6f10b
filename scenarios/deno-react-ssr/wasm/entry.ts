// wasm entry: carries the shared routes over a wasi:http fetch event (StarlingMonkey).
// The polyfill import must stay first: react-dom/server needs MessageChannel at load.
import './message-channel.ts';
import { respond } from '../app/routes.ts';

interface FetchEvent {
  request: Request;
  respondWith(response: Response): void;
}

addEventListener('fetch', (event) => {
  const fetchEvent = event as unknown as FetchEvent;
  const { status, contentType, body } = respond(new URL(fetchEvent.request.url).pathname);
  fetchEvent.respondWith(new Response(body, { status, headers: { 'content-type': contentType } }));
});
