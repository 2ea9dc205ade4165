/** The stores: state (lowdb), request log (NDJSON segments), counters (Redis protocol), cluster sync. */
export {
  type AccessDecision,
  type AccessListChange,
  AccessListError,
  AccessLists,
  type AllowRequest,
  type BlockRequest,
  type BlockResult,
} from './access-lists.js';
export {
  type AccessRecord,
  capText,
  type GeoFields,
  MAX_TEXT_FIELD,
  parseAccessRecord,
  REQUEST_ACTIONS,
  type RequestAction,
  serialiseAccessRecord,
} from './access-record.js';
export { checkAllow } from './block-checks.js';
export { type Cluster, createCluster, type RedisFailurePolicy } from './cluster.js';
export { type CountersClient, createCounters } from './counters.js';
export {
  type DataDirLock,
  DataDirLockedError,
  type LockHolder,
  lockDataDir,
} from './data-dir-lock.js';
export { ListSync } from './list-sync.js';
export { processRuns } from './lock-holder.js';
export { OperatorAddresses } from './operator-addresses.js';
export * from './request-log.js';
export { isValidDay } from './segment-files.js';
export {
  type AllowEntry,
  type AuditEntry,
  auditEntrySchema,
  type BlockEntry,
  type Flag,
  flagSchema,
  type State,
} from './state-schema.js';
export {
  CorruptStateError,
  type CorruptStateReport,
  openStateStore,
  type StateStore,
  StateStoreClosedError,
} from './state-store.js';
