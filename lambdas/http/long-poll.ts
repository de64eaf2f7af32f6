/**
 * The long poll shared by `GET /tasks/{id}` and the result monitor: with `Prefer: wait=N`, wait up to
 * N s for the task to change since the client's copy (`If-None-Match`) or, without one, since the
 * request arrived. A client whose copy is already stale, or a terminal task, is answered at once.
 */
import type { Context } from 'aws-lambda';
import type { TaskRecord } from '#domain/task';
import { preferredWait } from '#http/prefer';
import { renderTask } from '#http/render';
import type { ApiRequest } from '#http/request';
import { etagOf, ifNoneMatch } from '#http/response';
import { findOwnTask } from '#service/find-task';
import { awaitChange } from '#service/watch-task';
import { WATCH_INTERVAL_MS } from '#sse/timing';

/** Time kept back from the function's own timeout for the last read and the answer. */
const MARGIN_MS = 1_500;

export interface PolledTask {
  task: TaskRecord;
  /** `Preference-Applied` value when the wait preference was honoured (`wait=N`). */
  preferenceApplied?: string;
}

export async function readTaskAwaitingChange(request: ApiRequest, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<PolledTask> {
  const arrived = Date.now();
  const wait = preferredWait(request.headers.prefer);
  const id = request.pathParameters.id ?? '';
  const task = await findOwnTask(request.owner, id, { consistent: wait !== undefined });
  if (!wait) return { task };
  const preferenceApplied = `wait=${wait}`;
  const validator = request.headers['if-none-match'];
  const clientIsCurrent = validator === undefined || ifNoneMatch(validator, etagOf(renderTask(task, request.baseUrl)));
  if (!clientIsCurrent) return { task, preferenceApplied };
  const remaining = context?.getRemainingTimeInMillis?.();
  const until = Math.min(arrived + wait * 1000, remaining === undefined ? Infinity : arrived + remaining - MARGIN_MS);
  return { task: await awaitChange(request.owner, task, { until, intervalMs: WATCH_INTERVAL_MS }), preferenceApplied };
}
