/**
 * A second baseline for `npm run bench -- proxy`: the bare proxy of bare-proxy.ts, but forwarding
 * through undici's `Pool` as ipwarden does (no logging, no checks). It shows what Node's HTTP server
 * plus the faster client cost on their own, the floor under ipwarden's CPU per request.
 * Usage: tsx bare-undici-proxy.ts <listenPort> <upstreamUrl>
 */
import http from 'node:http';
import { type Dispatcher, Pool } from 'undici';

const [, , portText, upstreamText] = process.argv;
const pool = new Pool(new URL(upstreamText as string).origin, { connections: 512 });
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);

http
  .createServer((req, res) => {
    const headers: string[] = [];
    for (const name in req.headers)
      if (!HOP_BY_HOP.has(name)) headers.push(name, req.headers[name] as string);
    const handler: Dispatcher.DispatchHandler = {
      // undici takes a handler without onRequestStart for one of its deprecated shape.
      onRequestStart() {},
      onResponseStart(controller, status, _headers, message) {
        const raw = controller.rawHeaders as Buffer[];
        const out: string[] = [];
        for (let i = 0; i < raw.length; i += 2) {
          const name = (raw[i] as Buffer).toString('latin1');
          if (!HOP_BY_HOP.has(name.toLowerCase())) out.push(name, (raw[i + 1] as Buffer).toString('latin1'));
        }
        res.writeHead(status, message, out);
      },
      onResponseData(controller, chunk) {
        if (!res.write(chunk)) {
          controller.pause();
          res.once('drain', () => controller.resume());
        }
      },
      onResponseEnd: () => res.end(),
      onResponseError: () => {
        if (res.headersSent) res.destroy();
        else res.writeHead(502).end();
      },
    };
    const body = req.headers['content-length'] || req.headers['transfer-encoding'] ? req : null;
    pool.dispatch({ method: req.method ?? 'GET', path: req.url ?? '/', headers, body }, handler);
  })
  .listen(Number(portText), '127.0.0.1', () => process.send?.('ready'));
// A plain exit on SIGTERM, so `--cpu-prof` can write its profile.
process.on('SIGTERM', () => process.exit(0));
