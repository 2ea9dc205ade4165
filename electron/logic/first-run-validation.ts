/** What the first-run screen asks for. */
export interface DesktopSettings {
  /** The site to protect, `http://` or `https://`, normalised (`http://127.0.0.1:3000`). */
  upstream: string;
  /** Port the proxy listens on, 1–65535. */
  proxyPort: number;
}

/** The form as typed; anything may be wrong with it. */
export interface FirstRunInput {
  upstream: unknown;
  proxyPort: unknown;
}

export type FirstRunErrors = Partial<Record<keyof DesktopSettings, string>>;

export type FirstRunValidation =
  | { ok: true; settings: DesktopSettings }
  | { ok: false; errors: FirstRunErrors };

/**
 * Validates the first-run form: an absolute `http(s)://` upstream URL without credentials, query
 * or fragment, and an integer port 1–65535 that is not the upstream's own port on this machine
 * (the proxy would forward to itself). Each error names the field and the expected form. Pure:
 * used by the setup page as you type and again by the main process before saving.
 */
export function validateFirstRun(input: FirstRunInput): FirstRunValidation {
  const errors: FirstRunErrors = {};
  const upstream = parseUpstream(input.upstream);
  if (typeof upstream === 'string') errors.upstream = upstream;
  const port = parsePort(input.proxyPort);
  if (typeof port === 'string') errors.proxyPort = port;
  if (typeof upstream !== 'string' && typeof port === 'number' && isLoopbackHost(upstream.hostname)) {
    const upstreamPort = Number(upstream.port || (upstream.protocol === 'https:' ? 443 : 80));
    if (upstreamPort === port) errors.proxyPort = `port ${port} is your site's own port: pick another one`;
  }
  if (typeof upstream === 'string' || typeof port === 'string' || errors.proxyPort)
    return { ok: false, errors };
  return { ok: true, settings: { upstream: upstream.href.replace(/\/$/, ''), proxyPort: port } };
}

function parseUpstream(value: unknown): URL | string {
  const expected = 'expected a URL like http://127.0.0.1:3000';
  if (typeof value !== 'string' || value.trim() === '') return `upstream is required: ${expected}`;
  if (!value.includes('://')) return `upstream must start with http:// or https://: ${expected}`;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return `upstream is not a URL: ${expected}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `upstream must start with http:// or https://, got ${url.protocol}`;
  if (url.hostname === '') return `upstream has no host: ${expected}`;
  if (url.username || url.password) return 'upstream must not contain a user name or password';
  if (url.search || url.hash) return 'upstream must not contain a query (?…) or fragment (#…)';
  return url;
}

function parsePort(value: unknown): number | string {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!/^\d{1,5}$/.test(text)) return 'proxy port must be a whole number from 1 to 65535, e.g. 8080';
  const port = Number(text);
  if (port < 1 || port > 65535) return `proxy port must be from 1 to 65535, got ${port}`;
  return port;
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
}
