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
