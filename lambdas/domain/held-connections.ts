/**
 * Held connections (the event stream, `Prefer: wait`) are counted with leases: a caller may hold at
 * most `perCaller` at once, and a function serving both plain and held requests gives held ones at
 * most `perFunction` of its instances, so plain requests always keep the rest. A lease is a slot
 * item in the task table (`held#…`, no owner or status: no task read, listing or stream filter sees
 * it) that expires by itself, so a connection whose function died frees its slot at its deadline.
 * Pure: no AWS imports.
 */
import { createHash } from 'node:crypto';

/** The prefix of every lease item's id (the IAM grant for leases is limited to it). */
export const LEASE_PREFIX = 'held#';

/** The slots of a caller: its owner hashed, so no owner text is stored in a lease. */
export function callerSlots(owner: string, perCaller: number): string[] {
  const hash = createHash('sha256').update(owner).digest('hex').slice(0, 32);
  return Array.from({ length: perCaller }, (_, i) => `${LEASE_PREFIX}caller#${hash}#${i}`);
}

/** The slots of a function's budget of held connections. */
export function functionSlots(functionName: string, perFunction: number): string[] {
  return Array.from({ length: perFunction }, (_, i) => `${LEASE_PREFIX}function#${functionName}#${i}`);
}

/** Slots in random order: concurrent callers rarely try the same slot first. */
export function shuffled<T>(items: readonly T[], random: () => number = Math.random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
