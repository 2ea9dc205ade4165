/** The stores: state (lowdb), request log (NDJSON segments), counters (Redis protocol). */
export {
  type AccessDecision,
  AccessListError,
  AccessLists,
  type AllowRequest,
  type BlockRequest,
  type BlockResult,
} from './access-lists.js';
export type { AccessRecord, GeoFields, RequestAction } from './access-record.js';
export { type CountersClient, createCounters } from './counters.js';
export * from './request-log.js';
export type { AllowEntry, AuditEntry, BlockEntry, Flag, State } from './state-schema.js';
export { type CorruptStateReport, openStateStore, type StateStore } from './state-store.js';
