// A plain Node http server: the example of a workload defined only by its scenario file
// (isobench.scenario.json next to it). HOST and PORT come from the environment.
import http from 'node:http';

const items = Array.from({ length: Number(process.env.ITEMS ?? 20) }, (_, i) => ({ id: i + 1, name: `item ${i + 1}`, priceCents: 100 + ((i * 37) % 900) }));
let probeCounter = 0; // module-level state: grows natively, stays put under a reset per request

const server = http.createServer((req, res) => {
  const send = (status, type, body) => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  if (req.url === '/') return send(200, 'text/plain', 'Hello from node-http\n');
  if (req.url === '/items') return send(200, 'application/json', JSON.stringify({ count: items.length, items }));
  if (req.url === '/probe') return send(200, 'text/plain', String(++probeCounter));
  if (req.url === '/echo' && req.method === 'POST') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => send(200, 'text/plain', Buffer.concat(chunks).toString()));
    return;
  }
  send(404, 'text/plain', 'not found\n');
});

server.listen(Number(process.env.PORT ?? 8000), process.env.HOST ?? '127.0.0.1', () => {
  console.log(`node-http listening on http://${process.env.HOST ?? '127.0.0.1'}:${server.address().port}/`);
});
