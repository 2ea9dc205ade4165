/**
 * Short, fixed error pages for the proxy. They never echo anything the client sent, so nothing
 * hostile can be reflected into them.
 */
const TITLES: Record<number, [string, string]> = {
  400: ['Bad Request', 'The address of this request is not one this site answers.'],
  403: [
    'Forbidden',
    'Your address is blocked from this site. If you think this is a mistake, contact the site owner.',
  ],
  431: ['Request Header Fields Too Large', 'This request carries more header fields than this site accepts.'],
  429: ['Too Many Requests', 'You are sending requests too quickly. Wait a moment and try again.'],
  502: ['Bad Gateway', 'The site behind this proxy is not answering. Try again shortly.'],
  503: ['Service Unavailable', 'This site cannot take this request right now. Try again shortly.'],
  504: ['Gateway Timeout', 'The site behind this proxy took too long to answer. Try again shortly.'],
};

const cache = new Map<number, string>();

/** The HTML body for a proxy-generated status (400, 403, 429, 502, 503, 504). */
export function errorPage(status: number): string {
  let page = cache.get(status);
  if (page === undefined) {
    const [title, text] = TITLES[status] ?? ['Error', 'The request could not be completed.'];
    page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${status} ${title}</title></head><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;color:#222"><h1>${status} ${title}</h1><p>${text}</p><hr><p style="color:#777">ipwarden</p></body></html>\n`;
    cache.set(status, page);
  }
  return page;
}
