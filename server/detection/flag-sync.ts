import type { Logger } from '../log.js';
import { auditEntrySchema, type Cluster, type CountersClient } from '../store/index.js';
import { FlagStateSync } from './flag-state-sync.js';
import type { FlagChangeMeta, FlagClaims, FlagEvents, FlagStore } from './flag-store.js';
import { peerFlag } from './peer-flag.js';

/**
 * How long a claim to create a flag lasts (ms). It only has to outlive the publication of the new
 * flag: once every instance holds the flag, later sightings refresh it. A short claim also lets an
 * instance that missed the message (Redis was down) raise the flag itself a minute later.
 */
const FLAG_CLAIM_MS = 60_000;

/** Flag claims on the cluster: `SET flag:<ip>:<reason> <instance> NX PX 60000`. */
export function clusterFlagClaims(cluster: Cluster): FlagClaims {
  return {
    claim: (ip, reason) => cluster.claim(`flag:${ip}:${reason}`, FLAG_CLAIM_MS),
    release: (ip, reason) => cluster.release(`flag:${ip}:${reason}`),
  };
}

const KINDS: readonly (keyof FlagEvents)[] = ['flag', 'refresh', 'unflag'];

/**
 * Shares flags across the instances of a cluster: every new, refreshed or ended flag made here is
 * published on the `flags` topic, and those of other instances are merged into this instance's
 * state, so each operator UI shows the whole cluster's flags and auto-block sees every reason.
 * Each flag's latest state is also kept in Redis ({@link FlagStateSync}), so an instance that was
 * stopped or cut off catches up on every (re)connect. Does nothing without a shared Redis.
 */
export function syncFlags(
  flags: FlagStore,
  cluster: Cluster,
  logger: Logger,
  counters: CountersClient,
): void {
  if (!cluster.shared) return;
  const states = new FlagStateSync(flags, cluster, counters, logger);
  for (const kind of KINDS) {
    flags.on(kind, (flag, meta) => {
      if (meta.from !== undefined) return;
      states.record(flag, meta);
      cluster.publish('flags', { kind, flag, actor: meta.actor, action: meta.action }).catch((err: Error) => {
        logger.debug({ 'error.message': err.message, 'source.ip': flag.ip }, 'flag change not shared');
      });
    });
  }
  cluster.onConnect(() => states.reconcile());
  cluster.subscribe('flags', (body, from) => {
    const message = (body ?? {}) as Partial<FlagChangeMeta> & { kind?: unknown; flag?: unknown };
    const flag = peerFlag(message.flag, Date.now());
    const kind = KINDS.find((k) => k === message.kind);
    // The actor goes into the audit trail: one the state file would refuse is refused here.
    const actor = auditEntrySchema.shape.actor.safeParse(message.actor);
    if (!flag || !kind || !actor.success || typeof message.action !== 'string') {
      logger.warn({ from }, 'ignored a malformed flag message from the cluster');
      return;
    }
    const meta = { actor: actor.data, action: message.action, from };
    flags.applyRemote(kind, flag, meta).catch((err: Error) => {
      logger.error({ 'error.message': err.message }, 'could not apply a flag change from the cluster');
    });
  });
}
