/**
 * The long poll shared by `GET /tasks/{id}` and the result monitor: with `Prefer: wait=N`, wait up to
 * N s for the task to change since the client's copy (`If-None-Match`) or, without one, since the
 * request arrived. A client whose copy is already stale, or a terminal task, is answered at once; so
 * is a caller past its cap of held connections, or any caller while held requests use up this
 * function's budget for them (no `Preference-Applied`: RFC 7240 lets a server ignore a preference).
 */
import type { Context } from 'aws-lambda';
import { WATCHED_ATTRIBUTES } from '#domain/representation';
import { isTerminal, type TaskRecord } from '#domain/task';
import { preferredWait } from '#http/prefer';
import { renderTask } from '#http/render';
import type { ApiRequest } from '#http/request';
import { etagOf, ifNoneMatch } from '#http/response';
import { logger } from '#observability/logger';
import { findOwnTask } from '#service/find-task';
import { holdConnection } from '#service/held-connections';
import { awaitChange } from '#service/watch-task';
import { WATCH_INTERVAL_MS } from '#sse/timing';

/** Time kept back from the function's own timeout for the last read and the answer. */
const MARGIN_MS = 1_500;
/** A held slot outlives the wait by this much before it frees itself (should `finally` never run). */
const HOLD_MARGIN_SECONDS = 5;

export interface PolledTask {
  task: TaskRecord;
  /** `Preference-Applied` value when the wait preference was honoured (`wait=N`). */
  preferenceApplied?: string;
}

/**
 * The caller's task, after waiting for a change when it asked to. `attributes`: what the first read
 * needs (the default, the watched attributes, serves a representation; the result route reads all).
 */
export async function readTaskAwaitingChange(
  request: ApiRequest,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
  attributes: readonly string[] | undefined = WATCHED_ATTRIBUTES,
): Promise<PolledTask> {
  const arrived = Date.now();
  const wait = preferredWait(request.headers.prefer);
  const id = request.pathParameters.id ?? '';
  const task = await findOwnTask(request.owners, id, { consistent: wait !== undefined, attributes });
  if (!wait) return { task };
  const preferenceApplied = `wait=${wait}`;
  const validator = request.headers['if-none-match'];
  const clientIsCurrent = validator === undefined || ifNoneMatch(validator, etagOf(renderTask(task, request.baseUrl)));
  if (!clientIsCurrent || isTerminal(task.status)) return { task, preferenceApplied };
  const remaining = context?.getRemainingTimeInMillis?.();
  const until = Math.min(arrived + wait * 1000, remaining === undefined ? Infinity : arrived + remaining - MARGIN_MS);
  const hold = await holdConnection(request.owner, Math.ceil((until - arrived) / 1000) + HOLD_MARGIN_SECONDS).catch((error: unknown) => {
    // Not being able to count it is no reason to fail a read: answer now, as a plain GET.
    logger.warn('Could not take a held-connection slot; answering at once', { error: error as Error });
    return 'capacity' as const;
  });
  if (typeof hold === 'string') return { task };
  try {
    return { task: await awaitChange(task, { until, intervalMs: WATCH_INTERVAL_MS }), preferenceApplied };
  } finally {
    await hold.release();
  }
}
