/**
 * "Wait for a change", written once for the long poll (`Prefer: wait`) and the event stream. Each
 * interval it probes the task's entry in the owner index (eventually consistent, half a read unit
 * for what a client sees, whatever the size of the task's input or result) and reads the task
 * itself (strongly consistent, the watched attributes only) only when the probe shows a change. A
 * probe that lags (the index trails the table by a moment) costs one extra read, never a missed or
 * backward change: only the strongly consistent read decides.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sameRepresentation, WATCHED_ATTRIBUTES } from '#domain/representation';
import { isTerminal, type TaskRecord } from '#domain/task';
import { findOwnTask } from '#service/find-task';
import { getIndexedTask } from '#store/task-store';

export interface AwaitChangeOptions {
  /** Epoch ms after which the last read is returned, changed or not. */
  until: number;
  intervalMs: number;
  /** Stops waiting (the client went away). */
  signal?: AbortSignal;
}

/**
 * The task as soon as a client would see it differ from `seen` (another version) or it is
 * terminal; `seen` itself once `until` passes or `signal` aborts. 404/410 if the task vanishes
 * meanwhile. The task returned carries the watched attributes (`WATCHED_ATTRIBUTES`) only.
 */
export async function awaitChange(seen: TaskRecord, options: AwaitChangeOptions): Promise<TaskRecord> {
  let task = seen;
  while (task.version === seen.version && !isTerminal(task.status)) {
    const remaining = options.until - Date.now();
    if (remaining <= 0 || options.signal?.aborted) break;
    try {
      await sleep(Math.min(options.intervalMs, remaining), undefined, { signal: options.signal });
    } catch {
      break; // aborted
    }
    const probe = await getIndexedTask(seen.owner, seen.id);
    if (probe && sameRepresentation(probe, task)) continue;
    // The caller already proved it may see this task: re-read it as its owner.
    task = await findOwnTask(seen.owner, seen.id, { consistent: true, attributes: WATCHED_ATTRIBUTES });
  }
  return task;
}

/**
 * The task once it is terminal, or as last read when `until` passes: `awaitChange` repeated, for a
 * submit with `Prefer: wait=N` (it answers with the outcome when the task ends within N s).
 */
export async function awaitOutcome(seen: TaskRecord, options: AwaitChangeOptions): Promise<TaskRecord> {
  let task = seen;
  while (!isTerminal(task.status) && Date.now() < options.until && !options.signal?.aborted) {
    task = await awaitChange(task, options);
  }
  return task;
}
