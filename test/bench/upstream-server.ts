/** The upstream for `npm run bench`: answers every request with a small fixed page. Usage: tsx upstream-server.ts <port> */
import http from 'node:http';

const body = Buffer.from(`<!doctype html><title>bench</title><p>${'x'.repeat(512)}</p>\n`);
http
  .createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/html', 'content-length': body.length });
    res.end(body);
  })
  .listen(Number(process.argv[2]), '127.0.0.1', () => process.send?.('ready'));
