/**
 * The baseline for `npm run bench`: a bare Node reverse proxy with a keep-alive upstream agent,
 * no logging and no checks. Usage: tsx bare-proxy.ts <listenPort> <upstreamUrl>
 */
import http from 'node:http';

const [, , portText, upstreamText] = process.argv;
const upstream = new URL(upstreamText as string);
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
http
  .createServer((req, res) => {
    const proxied = http.request(
      {
        agent,
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    proxied.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(proxied);
  })
  .listen(Number(portText), '127.0.0.1', () => process.send?.('ready'));
// A plain exit on SIGTERM, so `--cpu-prof` can write its profile.
process.on('SIGTERM', () => process.exit(0));
