/** One way to make a task record in a test: the defaults of a task just submitted, and what the test changes. */
import type { TaskRecord } from '#domain/task';

/** When the built tasks were created (unless a test says otherwise). */
export const CREATED = Date.UTC(2026, 0, 1);
/** A fixed, well-formed task id (a UUIDv7 of CREATED's era). */
export const TASK_ID = '019b7b28-6c00-7000-8000-000000000001';

/** `CREATED` plus `offsetSeconds`, as the ISO text a record stores. */
export const isoAt = (offsetSeconds: number, from: number = CREATED): string => new Date(from + offsetSeconds * 1000).toISOString();

/** A pending `primes` task created at `CREATED` (one hour's timeout and a day's retention in its TTL), with `overrides`. */
export function aTask(overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id: TASK_ID,
    owner: 'key:a',
    type: 'primes',
    status: 'pending',
    input: '{"upTo":10}',
    progress: { percent: 0 },
    createdAt: isoAt(0),
    updatedAt: isoAt(0),
    ttl: CREATED / 1000 + 3600 + 86400,
    version: 1,
    ...overrides,
  };
}
