/**
 * Task ids are UUIDv7: unguessable (74 random bits), URL-safe, sortable by creation time, and
 * carrying that time, so an old id whose row is gone can answer 410 rather than 404.
 */
import { randomBytes } from 'node:crypto';
import { TASK_ID_PATTERN } from '@longrun/worker/protocol';

export function newTaskId(now: number = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function isTaskId(value: string): boolean {
  return TASK_ID_PATTERN.test(value);
}

/** Creation time (epoch ms) encoded in a well-formed id. */
export function createdAtOfId(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/**
 * The execution of a task's attempt: the task id for the first, `<id>-<attempt>` after a retry
 * (execution names never repeat within 90 days, and a retry always starts a new one).
 */
export function executionName(taskId: string, attempt: number): string {
  return attempt <= 1 ? taskId : `${taskId}-${attempt}`;
}

/** The task and attempt an execution (or deadline schedule) name stands for, or undefined for any other name. */
export function parseExecutionName(name: string): { taskId: string; attempt: number } | undefined {
  const match = /^(.{36})(?:-([1-9]\d{0,2}))?$/.exec(name);
  if (!match || !isTaskId(match[1]!)) return undefined;
  return { taskId: match[1]!, attempt: match[2] ? Number(match[2]) : 1 };
}

/** The lowest id a task created at `ms` (epoch milliseconds) can have: ids sort by creation time. */
export function lowestIdAt(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}
