import type { AccessLists } from '../store/index.js';
import type { ProxyContext as Context } from './context.js';
import { sendPage } from './forward.js';

/**
 * The allowlist / blocklist guard (a request-path step): a blocked client gets 403 with a short page and the upstream
 * never sees the request; an allowlisted client skips blocks and rate limits. While protection is
 * paused (the desktop app's pass-through switch) every request passes, unblocked and unlimited,
 * and is still logged and counted by detection.
 */
export function accessGuard(lists: AccessLists, isPaused: () => boolean = () => false) {
  return function guardAccess(ctx: Context): boolean {
    if (isPaused()) {
      ctx.state.paused = true;
      return true;
    }
    const decision = lists.decide(ctx.state.clientIp as string);
    if (decision.kind === 'allowlisted') {
      ctx.state.allowlisted = true;
    } else if (decision.kind === 'blocked') {
      ctx.state.action = 'blocked';
      ctx.state.ruleName = `blocklist:${decision.entry.target}`;
      sendPage(ctx.res, 403);
      return false;
    }
    return true;
  };
}
