/**
 * "Wait for a change", written once for the long poll (`Prefer: wait`) and the event stream: re-read
 * the caller's task, strongly consistent, until its `version` (bumped by every write, see
 * `VERSION_BUMP`) moves on, it is terminal, or time is up. One GetItem per interval, nothing else.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isTerminal, type TaskRecord } from '#domain/task';
import { findOwnTask } from '#service/find-task';

export interface AwaitChangeOptions {
  /** Epoch ms after which the last read is returned, changed or not. */
  until: number;
  intervalMs: number;
  /** Stops waiting (the client went away). */
  signal?: AbortSignal;
}

/**
 * The task as soon as it differs from `seen` (another version) or is terminal; `seen` itself (or
 * the last read) once `until` passes or `signal` aborts. 404/410 if the task vanishes meanwhile.
 */
export async function awaitChange(owner: string, seen: TaskRecord, options: AwaitChangeOptions): Promise<TaskRecord> {
  let task = seen;
  while (task.version === seen.version && !isTerminal(task.status)) {
    const remaining = options.until - Date.now();
    if (remaining <= 0 || options.signal?.aborted) break;
    try {
      await sleep(Math.min(options.intervalMs, remaining), undefined, { signal: options.signal });
    } catch {
      break; // aborted
    }
    task = await findOwnTask(owner, seen.id, { consistent: true });
  }
  return task;
}

/**
 * The task once it is terminal, or as last read when `until` passes: `awaitChange` repeated, for a
 * submit with `Prefer: wait=N` (it answers with the outcome when the task ends within N s).
 */
export async function awaitOutcome(owner: string, seen: TaskRecord, options: AwaitChangeOptions): Promise<TaskRecord> {
  let task = seen;
  while (!isTerminal(task.status) && Date.now() < options.until && !options.signal?.aborted) {
    task = await awaitChange(owner, task, options);
  }
  return task;
}
