import { Notification } from 'electron';
import type { Appliance, Flag } from '../server/index.js';
import {
  flagNotificationText,
  NotificationPolicy,
  summaryNotificationText,
} from './logic/notification-policy.js';

/** How often held-back flags are checked for a summary notification (ms). */
const SUMMARY_CHECK_MS = 10_000;
/** A block from a notification lasts as long as one from the UI's Block button (README "Operator UI"). */
const BLOCK_FOR_MS = 7 * 86_400_000;

export interface NotificationHandlers {
  /** Opens the window on a route of the operator UI, e.g. `#/ip/203.0.113.7`. */
  open(hash: string): void;
}

/**
 * Native notifications for newly flagged IPs, with their reasons, rate-limited by
 * {@link NotificationPolicy}. Where the OS supports actions (macOS), Block and Ignore are buttons:
 * Block blocks the IP in process, Ignore dismisses the notification and leaves the flag for the
 * UI. A click opens the IP's detail. Returns a function that stops listening.
 */
export function setupNotifications(appliance: Appliance, handlers: NotificationHandlers): () => void {
  if (!Notification.isSupported()) return () => undefined;
  const { detection, accessLists, logger } = appliance.parts;
  const policy = new NotificationPolicy({ now: Date.now });
  const shown = new Set<Notification>();
  const keep = (notification: Notification) => {
    // Electron drops a notification's handlers when the object is garbage-collected.
    shown.add(notification);
    notification.once('close', () => shown.delete(notification));
    notification.show();
  };

  const onFlag = (flag: Flag) => {
    const decision = accessLists.decide(flag.ip);
    const verdict = policy.offer(flag, {
      blocked: decision.kind === 'blocked',
      // The operator's own addresses are never offered for a one-click block: it would be refused
      // (lockout prevention, README "Security").
      allowlisted: decision.kind === 'allowlisted' || accessLists.operator.has(flag.ip),
    });
    if (verdict.kind !== 'notify') return;
    const reasons = detection.flags.list({ ip: flag.ip, active: true }).map((f) => f.reason);
    const notification = new Notification({
      ...flagNotificationText(flag.ip, reasons.length > 0 ? reasons : [flag.reason]),
      actions: [
        { type: 'button', text: 'Block' },
        { type: 'button', text: 'Ignore' },
      ],
    });
    notification.on('action', (details) => {
      if (details.actionIndex !== 0) return;
      accessLists
        .block({
          target: flag.ip,
          reason: `blocked from a desktop notification (${flag.reason})`,
          durationMs: BLOCK_FOR_MS,
          actor: 'user:desktop',
        })
        .catch((err: Error) =>
          logger.error(
            { 'source.ip': flag.ip, 'error.message': err.message },
            'block from notification failed',
          ),
        );
    });
    notification.on('click', () => handlers.open(`#/ip/${encodeURIComponent(flag.ip)}`));
    keep(notification);
  };

  const timer = setInterval(() => {
    const summary = policy.takeSummary();
    if (summary === null) return;
    const notification = new Notification(summaryNotificationText(summary.count));
    notification.on('click', () => handlers.open('#/flags'));
    keep(notification);
  }, SUMMARY_CHECK_MS);

  detection.flags.on('flag', onFlag);
  return () => {
    clearInterval(timer);
    detection.flags.off('flag', onFlag);
  };
}
