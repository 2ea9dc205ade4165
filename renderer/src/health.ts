/**
 * `GET /api/health` (no session needed): the version in the header and the server's problems
 * (corrupt state moved aside, request log not writable …) as a banner, checked every minute.
 */
import { errorMessage, get } from './api.js';
import { h } from './dom.js';
import type { Health } from './types.js';

const POLL_MS = 60_000;

export interface HealthWatch {
  current(): Health | undefined;
}

export function watchHealth(version: HTMLElement, banner: HTMLElement): HealthWatch {
  let latest: Health | undefined;
  const show = (problems: string[]) => {
    banner.hidden = problems.length === 0;
    banner.replaceChildren(
      h(
        'strong',
        null,
        problems.length === 1 ? 'ipwarden reports a problem: ' : 'ipwarden reports problems: ',
      ),
      problems.length === 1
        ? (problems[0] ?? '')
        : h('ul', null, ...problems.map((problem) => h('li', null, problem))),
    );
  };
  const check = async () => {
    try {
      latest = await get<Health>('/api/health');
      version.textContent = latest.version ? `v${latest.version}` : '';
      show(latest.problems ?? []);
    } catch (error) {
      show([errorMessage(error)]);
    }
  };
  void check();
  setInterval(() => void check(), POLL_MS);
  return { current: () => latest };
}
