import type { Logger } from '../log.js';
import { cidrContains, parseCidr, tryParseAddress } from '../net/index.js';
import type { AccessLists } from '../store/index.js';
import type { FlagStore } from './flag-store.js';

/**
 * Allowlisting an address or range ends the active flags of the addresses it covers (as a
 * dismissal by whoever allowlisted them): an allowlisted address is never flagged, blocked or
 * rate-limited, so its old flags only kept it in the flag count, the reports and the monitor.
 */
export function endFlagsOnAllow(flags: FlagStore, lists: AccessLists, logger: Logger): void {
  lists.on('change', (change) => {
    if (change.list !== 'allowlist' || change.action !== 'add' || change.from !== undefined) return;
    const range = parseCidr(change.target);
    for (const ip of flags.activeReasonsByIp().keys()) {
      const address = tryParseAddress(ip);
      if (address === null || !cidrContains(range, address)) continue;
      flags.dismiss(ip, change.actor).catch((err: Error) => {
        logger.error(
          { 'error.message': err.message, 'source.ip': ip },
          'flags of an allowlisted address not ended',
        );
      });
    }
  });
}
