import { z } from 'zod';

/** Who made a decision: an operator (`user:<name>`), a rule, a scheduled job or the CLI. */
const actor = z.string().min(1).max(128);
const isoTime = z.iso.datetime({ offset: true });

export const blockEntrySchema = z.object({
  /** An IP or CIDR in canonical form (`203.0.113.7`, `198.51.100.0/24`, `2001:db8::/32`). */
  target: z.string(),
  reason: z.string().max(500),
  createdAt: isoTime,
  createdBy: actor,
  /** ISO time after which the block no longer applies; null for a permanent block. */
  expiresAt: isoTime.nullable(),
});

export const allowEntrySchema = z.object({
  target: z.string(),
  reason: z.string().max(500),
  createdAt: isoTime,
  createdBy: actor,
});

/** A SuspiciousIP record (DESIGN.md "Detection"): one active flag per (ip, reason). */
export const flagSchema = z.object({
  ip: z.string(),
  reason: z.string(),
  details: z.record(z.string(), z.unknown()),
  request_count: z.number().int().nonnegative(),
  first_seen: isoTime,
  last_seen: isoTime,
  is_active: z.boolean(),
});

export const auditEntrySchema = z.object({
  at: isoTime,
  actor,
  action: z.string(),
  target: z.string(),
  reason: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const stateSchema = z.object({
  version: z.literal(1),
  blocks: z.array(blockEntrySchema),
  allowlist: z.array(allowEntrySchema),
  flags: z.array(flagSchema),
  settings: z.record(z.string(), z.unknown()),
  audit: z.array(auditEntrySchema),
  jobRuns: z.array(z.record(z.string(), z.unknown())),
});

export type BlockEntry = z.infer<typeof blockEntrySchema>;
export type AllowEntry = z.infer<typeof allowEntrySchema>;
export type Flag = z.infer<typeof flagSchema>;
export type AuditEntry = z.infer<typeof auditEntrySchema>;
export type State = z.infer<typeof stateSchema>;

/** A fresh, empty state. */
export function emptyState(): State {
  return { version: 1, blocks: [], allowlist: [], flags: [], settings: {}, audit: [], jobRuns: [] };
}
