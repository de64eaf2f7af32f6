/**
 * The sparse index of open tasks the sweeper reads. A task enters it at submit (`openShard`,
 * `sweepAt`) and leaves it with its terminal transition (those attributes are REMOVEd), so the
 * index holds only tasks that may still need the sweeper. Pure, no AWS imports.
 *
 * - `openShard` (number, partition key): a few shards derived from the id, so that a burst of
 *   submits does not write one hot partition; the sweeper queries every shard.
 * - `sweepAt` (ISO timestamp, sort key): when the task is next due for a check. Creation time at
 *   submit; the sweeper moves it forward after finding a healthy execution, so healthy long tasks
 *   go to the back of the queue and cannot starve newer stuck ones out of a bounded run.
 */

import type { TransitionExpression } from './update-expression.ts';

export const OPEN_INDEX = {
  name: 'openTasks',
  partitionKey: 'openShard',
  sortKey: 'sweepAt',
  /** What the sweeper reads from the index besides the keys. */
  projected: ['status', 'createdAt'],
  /** Removed by every terminal transition. */
  attributes: ['openShard', 'sweepAt'],
} as const;

/** Number of index shards. Fixed: changing it would hide tasks written under the old count. */
export const OPEN_SHARDS = 8;

/** The shard of a task id: its last two hex digits (random bits of the UUIDv7), modulo the shard count. */
export function openShardOf(id: string): number {
  const tail = Number.parseInt(id.slice(-2), 16);
  return (Number.isNaN(tail) ? 0 : tail) % OPEN_SHARDS;
}

/** The open-index attributes of a task created at `createdAt`. */
export function openIndexAttributes(id: string, createdAt: string): { openShard: number; sweepAt: string } {
  return { openShard: openShardOf(id), sweepAt: createdAt };
}

/**
 * Moves an open task's next check to `:sweepAt` if it is still open with the status the sweeper
 * saw (`:seen`). Bookkeeping only: nothing a reader sees changes, so `version` is not bumped.
 */
export function deferExpression(): TransitionExpression {
  return {
    set: ['#sweepAt = :sweepAt'],
    remove: [],
    condition: 'attribute_exists(#openShard) AND #status = :seen',
    names: { '#openShard': 'openShard', '#sweepAt': 'sweepAt', '#status': 'status' },
    values: {},
  };
}

/**
 * Takes a terminal task out of the open-task index (a cancelled task, once its execution is known
 * not to run). Bookkeeping only, like `deferExpression`.
 */
export function closeExpression(): TransitionExpression {
  return {
    set: [],
    remove: ['#openShard', '#sweepAt'],
    condition: 'attribute_exists(#openShard) AND #status IN (:t0, :t1, :t2)',
    names: { '#openShard': 'openShard', '#sweepAt': 'sweepAt', '#status': 'status' },
    values: { ':t0': 'succeeded', ':t1': 'failed', ':t2': 'cancelled' },
  };
}
