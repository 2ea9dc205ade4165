/**
 * The operator's one-click decisions (block, unblock, allow, disallow, dismiss), each followed by
 * a toast that says what happened, the server's warnings, or its error message.
 */
import { ApiError, del, errorMessage, isQuiet, post } from './api.js';
import { lockoutQuestion } from './lockout.js';
import { withSegment } from './query.js';
import { routeHash } from './route.js';
import { toast } from './toast.js';
import type { BlockResult } from './types.js';

/** Expiry choices for a block: [duration for the API, label]; '' is permanent. */
export const BLOCK_DURATIONS: readonly (readonly [string, string])[] = [
  ['1h', '1 hour'],
  ['24h', '24 hours'],
  ['7d', '7 days'],
  ['30d', '30 days'],
  ['', 'Permanent'],
];

/** The default for blocks from the flags view (DESIGN.md: auto-blocks also last 7 days). */
export const DEFAULT_BLOCK_DURATION = '7d';

function durationText(duration: string): string {
  const label = BLOCK_DURATIONS.find(([value]) => value === duration)?.[1];
  if (duration === '') return 'permanently';
  return `for ${label ?? duration}`;
}

function failed(action: string, error: unknown): false {
  if (!isQuiet(error)) toast(`${action} failed: ${errorMessage(error)}`, { tone: 'error' });
  return false;
}

/** How an action reports: `quiet` leaves out its success toast (a bulk action says it once for all). */
interface ActionOptions {
  quiet?: boolean;
}

/**
 * Blocks an IP or CIDR; `duration` '' is permanent. Resolves to whether it worked. Warnings and
 * errors are always shown.
 */
export async function blockTarget(
  target: string,
  reason: string,
  duration = DEFAULT_BLOCK_DURATION,
  options: ActionOptions = {},
): Promise<boolean> {
  try {
    const body: Record<string, string> = { target, reason };
    if (duration !== '') body.duration = duration;
    const result = await postBlock(body);
    if (result === null) {
      toast(`${target} was not blocked`, { tone: 'info' });
      return false;
    }
    if (!options.quiet)
      toast(`Blocked ${result?.entry?.target ?? target} ${durationText(duration)}`, {
        link: { text: 'Details', href: routeHash('ip', target.split('/')[0] ?? target) },
      });
    for (const warning of result?.warnings ?? []) toast(warning, { tone: 'warning', timeout: 12_000 });
    return true;
  } catch (error) {
    return failed(`Blocking ${target}`, error);
  }
}

/**
 * Posts a block. A range covering the operator's own address is refused with 409 until confirmed:
 * the server's explanation is shown in a confirm dialog and only a yes sends `?force=true`.
 * Resolves to null when the operator declines.
 */
async function postBlock(body: Record<string, string>): Promise<BlockResult | null> {
  try {
    return await post<BlockResult>('/api/blocks', body);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 409)) throw error;
    if (!window.confirm(lockoutQuestion(error.message))) return null;
    return post<BlockResult>('/api/blocks?force=true', body);
  }
}

/**
 * Blocks several IPs or ranges for {@link DEFAULT_BLOCK_DURATION}, one after the other, with one
 * toast for all (one per target buried the others: five are shown at most). Resolves to how many
 * were blocked.
 */
export async function blockTargets(targets: readonly { target: string; reason: string }[]): Promise<number> {
  let blocked = 0;
  for (const { target, reason } of targets)
    if (await blockTarget(target, reason, DEFAULT_BLOCK_DURATION, { quiet: true })) blocked++;
  if (blocked > 0)
    toast(
      `Blocked ${blocked === targets.length ? '' : `${blocked} of `}${targets.length} ${targets.length === 1 ? 'address' : 'addresses'} ${durationText(DEFAULT_BLOCK_DURATION)}`,
    );
  return blocked;
}

/** Removes a blocklist entry (an IP or the exact CIDR that was blocked). */
export async function unblockTarget(target: string, options: ActionOptions = {}): Promise<boolean> {
  try {
    const answer = await del<{ stillBlockedBy?: string }>(withSegment('/api/blocks', target));
    if (answer?.stillBlockedBy !== undefined)
      toast(`Unblocked ${target}, but it is still blocked by the range ${answer.stillBlockedBy}`, {
        tone: 'warning',
      });
    else if (!options.quiet)
      toast(
        target.includes('/')
          ? `Unblocked ${target}`
          : `Unblocked ${target}. Auto-block leaves it alone for as long as an auto-block lasts (Settings; 7 days by default).`,
      );
    return true;
  } catch (error) {
    return failed(`Unblocking ${target}`, error);
  }
}

/**
 * Lifts the blocks covering some IPs (`[ip, target]` pairs, target the block that covers ip).
 * A block of a wider range than the IP lets every address in it through again, so those are lifted
 * only once the operator agrees (one question for all of them). Resolves to whether it went ahead.
 */
export async function unblockCovering(pairs: readonly (readonly [string, string])[]): Promise<boolean> {
  const ranges = [...new Set(pairs.filter(([ip, target]) => target !== ip).map(([, target]) => target))];
  if (ranges.length > 0) {
    const named = ranges.slice(0, 5).join(', ') + (ranges.length > 5 ? ` and ${ranges.length - 5} more` : '');
    const question =
      ranges.length === 1
        ? `This lifts the block on the whole range ${named}: every address in it is let through again, not only the flagged one.`
        : `This lifts the blocks on ${ranges.length} whole ranges (${named}): every address in them is let through again.`;
    if (!window.confirm(`${question}\n\nUnblock anyway?`)) return false;
  }
  const targets = [...new Set(pairs.map(([, target]) => target))];
  let unblocked = 0;
  for (const target of targets) if (await unblockTarget(target, { quiet: targets.length > 1 })) unblocked++;
  if (targets.length > 1 && unblocked > 0)
    toast(
      `Unblocked ${unblocked === targets.length ? '' : `${unblocked} of `}${targets.length} blocks. Auto-block leaves these addresses alone for as long as an auto-block lasts.`,
    );
  return unblocked === targets.length;
}

/** Adds an IP or CIDR to the allowlist (never blocked, limited or flagged). */
export async function allowTarget(target: string, reason: string): Promise<boolean> {
  try {
    const answer = await post<{ warnings?: string[] }>('/api/allowlist', { target, reason });
    const warnings = answer?.warnings ?? [];
    if (warnings.length > 0)
      toast(`Added ${target} to the allowlist. ${warnings.join(' ')}`, { tone: 'warning' });
    else toast(`Added ${target} to the allowlist`);
    return true;
  } catch (error) {
    return failed(`Allowlisting ${target}`, error);
  }
}

/** Removes an allowlist entry. */
export async function disallowTarget(target: string): Promise<boolean> {
  try {
    await del(withSegment('/api/allowlist', target));
    toast(`Removed ${target} from the allowlist`);
    return true;
  } catch (error) {
    return failed(`Removing ${target} from the allowlist`, error);
  }
}

/** Deactivates an IP's active flags. */
export async function dismissFlags(ip: string): Promise<boolean> {
  try {
    await post(withSegment('/api/flags', ip, '/dismiss'));
    toast(`Dismissed the flags of ${ip}`);
    return true;
  } catch (error) {
    return failed(`Dismissing ${ip}`, error);
  }
}

/**
 * Runs `action` while `button` shows it is busy (disabled, `aria-busy`), so a double click sends
 * one request.
 */
export async function busy<T>(button: HTMLButtonElement, action: () => Promise<T>): Promise<T> {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
