import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The demo credentials the built-in site accepts. */
export const DEMO_CREDENTIALS = { username: 'demo', password: 'demo' } as const;

export interface DemoSite {
  readonly url: URL;
  close(): Promise<void>;
}

const PAGE = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto">${body}</body></html>\n`;

/**
 * Starts the built-in demo site on a loopback port, used when ipwarden runs without `--upstream`
 * so that `npm start` alone shows a working appliance: `/` a home page, `GET /login` a form,
 * `POST /login` (form or JSON) answering 401 unless the demo credentials are given (then a
 * `sessionid` cookie and a redirect), `/admin` for signed-in users only (403 otherwise), and
 * `/logout`.
 */
export async function startDemoSite(sessionCookie = 'sessionid'): Promise<DemoSite> {
  const sessions = new Set<string>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const session = readCookie(req.headers.cookie, sessionCookie);
    const signedIn = session !== null && sessions.has(session);
    const send = (status: number, html: string, headers: http.OutgoingHttpHeaders = {}) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
      res.end(html);
    };
    if (path === '/' && req.method === 'GET') {
      send(
        200,
        PAGE(
          'Demo site',
          `<h1>Demo site behind ipwarden</h1><p>${signedIn ? 'You are signed in. <a href="/admin">Admin</a> · <a href="/logout">Sign out</a>' : '<a href="/login">Sign in</a> (demo / demo)'}</p>`,
        ),
      );
    } else if (path === '/login' && req.method === 'GET') {
      send(
        200,
        PAGE(
          'Sign in',
          '<h1>Sign in</h1><form method="post" action="/login"><input name="username" placeholder="username"> <input name="password" type="password" placeholder="password"> <button>Sign in</button></form>',
        ),
      );
    } else if ((path === '/login' || path === '/api/login/') && req.method === 'POST') {
      readBody(req).then(
        (body) => {
          const { username, password } = parseCredentials(body, req.headers['content-type']);
          if (username === DEMO_CREDENTIALS.username && password === DEMO_CREDENTIALS.password) {
            const id = randomBytes(24).toString('base64url');
            sessions.add(id);
            send(302, PAGE('Signed in', '<p>Signed in.</p>'), {
              location: '/admin',
              'set-cookie': `${sessionCookie}=${id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=1209600`,
            });
          } else {
            send(
              401,
              PAGE(
                'Sign in failed',
                '<h1>Wrong username or password</h1><p><a href="/login">Try again</a></p>',
              ),
            );
          }
        },
        () => send(400, PAGE('Bad request', '<p>Bad request</p>')),
      );
    } else if (path === '/logout') {
      if (session) sessions.delete(session);
      send(302, PAGE('Signed out', '<p>Signed out.</p>'), {
        location: '/',
        'set-cookie': `${sessionCookie}=; Path=/; Max-Age=0`,
      });
    } else if (path?.startsWith('/admin')) {
      if (signedIn) send(200, PAGE('Admin', '<h1>Admin area</h1><p>Only signed-in users see this.</p>'));
      else send(403, PAGE('Forbidden', '<h1>Sign in first</h1>'));
    } else {
      send(404, PAGE('Not found', '<h1>Not found</h1>'));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}`),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readCookie(header: string | undefined, name: string): string | null {
  for (const part of header?.split(';') ?? []) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return null;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > 10_000) req.destroy(new Error('body too large'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function parseCredentials(body: string, type: string | undefined): { username?: string; password?: string } {
  if (type?.includes('application/json')) {
    try {
      const value = JSON.parse(body) as { username?: unknown; password?: unknown };
      return { username: String(value.username ?? ''), password: String(value.password ?? '') };
    } catch {
      return {}; // malformed JSON is a failed login, like wrong credentials
    }
  }
  const form = new URLSearchParams(body);
  return { username: form.get('username') ?? undefined, password: form.get('password') ?? undefined };
}
