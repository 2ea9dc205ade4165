import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the test upstream saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bodyBytes: number;
}

export interface TestUpstream {
  url: URL;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * A real upstream for integration tests on 127.0.0.1:0. Routes:
 * `POST /login` — 302 + `Set-Cookie: sessionid=<random>` (and `other=1`, unless `cookies=one`) for
 * `user=ok`; for `user=form`, a failed form login the way many sites answer it: 200 with a new
 * `Set-Cookie: sessionid=<random>`; else 401;
 * `POST /echo` — streams the request body back; `GET /big?bytes=N` — N bytes of a known pattern;
 * `GET /slow?ms=N` — answers after N ms; `GET /status/N` — answers status N; anything else 200 "ok".
 */
export async function startUpstream(): Promise<TestUpstream> {
  const seen: SeenRequest[] = [];
  let sessions = 0;
  const server = http.createServer((req, res) => {
    const entry: SeenRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      bodyBytes: 0,
    };
    seen.push(entry);
    const url = new URL(req.url ?? '/', 'http://upstream');
    if (url.pathname === '/echo') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      req.on('data', (chunk: Buffer) => {
        entry.bodyBytes += chunk.length;
      });
      req.pipe(res);
      return;
    }
    req.on('data', (chunk: Buffer) => {
      entry.bodyBytes += chunk.length;
    });
    req.on('end', () => {
      if (url.pathname === '/login' && req.method === 'POST') {
        const ok = url.searchParams.get('user') === 'ok';
        if (ok) {
          sessions++;
          res.writeHead(302, {
            location: '/',
            'set-cookie': [
              `sessionid=s${sessions}-${Math.random().toString(36).slice(2)}; Path=/; HttpOnly`,
              ...(url.searchParams.get('cookies') === 'one' ? [] : ['other=1']),
            ],
          });
        } else if (url.searchParams.get('user') === 'form') {
          res.writeHead(200, { 'set-cookie': `sessionid=f-${Math.random().toString(36).slice(2)}; Path=/` });
        } else {
          res.writeHead(401);
        }
        res.end();
      } else if (url.pathname === '/big') {
        const bytes = Number(url.searchParams.get('bytes') ?? 0);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes });
        res.end(patternBuffer(bytes));
      } else if (url.pathname === '/slow') {
        setTimeout(() => res.end('slow'), Number(url.searchParams.get('ms') ?? 0));
      } else if (url.pathname.startsWith('/status/')) {
        res.writeHead(Number(url.pathname.slice(8)));
        res.end();
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}`),
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `bytes` bytes of a repeating, position-dependent pattern (so truncation or reordering shows). */
export function patternBuffer(bytes: number): Buffer {
  const buffer = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) buffer[i] = (i * 31 + (i >> 8)) & 0xff;
  return buffer;
}
