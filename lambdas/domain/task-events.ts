/**
 * Events for servers (the EventBridge bus): which `detail-type`s one write of a task publishes.
 * The webhook event types, plus `task.submitted` and `task.retried`. Pure.
 */
import { isTerminal, type TaskRecord } from './task.ts';
import { PROGRESS_EVENT_INTERVAL_SECONDS } from './webhook.ts';

const WINDOW_MS = PROGRESS_EVENT_INTERVAL_SECONDS * 1000;

/**
 * `task.submitted` for a new task; `task.running`, `task.<outcome>` and `task.retried` for status
 * changes; `task.input_required` when a wait begins; `task.progress` when progress moved, the first
 * at once, then at most one per 5-second window (a report is published when the write before it
 * fell in an earlier window: no state is kept).
 */
export function busEventTypes(before: TaskRecord | undefined, after: TaskRecord): string[] {
  if (!before) return ['task.submitted'];
  if (before.status !== after.status) {
    if (after.status === 'pending') return ['task.retried'];
    if (isTerminal(after.status)) return [`task.${after.status}`];
  }
  if (after.status !== 'running') return [];
  const types: string[] = [];
  if (before.status === 'pending') types.push('task.running');
  const moved = before.progress?.percent !== after.progress?.percent || before.progress?.step !== after.progress?.step;
  const first = before.status === 'pending' || (before.progress?.percent ?? 0) === 0;
  const newWindow = Math.floor(Date.parse(after.updatedAt) / WINDOW_MS) !== Math.floor(Date.parse(before.updatedAt) / WINDOW_MS);
  if (moved && (first || newWindow)) types.push('task.progress');
  if (after.awaitingInput && after.awaitingInput.since !== before.awaitingInput?.since) types.push('task.input_required');
  return types;
}
