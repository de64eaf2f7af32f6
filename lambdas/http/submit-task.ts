// POST /tasks --> submitTask --> task store + deadline schedule + StartExecution; with Prefer: wait=N, awaitOutcome (GetItem until it ends or N s)
import type { Context } from 'aws-lambda';
import { config } from '#config';
import { parseCancelAfter } from '#domain/deadline';
import { problems } from '#domain/errors';
import { retryAfterSeconds } from '#domain/representation';
import { SubmissionValidator } from '#domain/submission';
import { isTerminal, type TaskRecord } from '#domain/task';
import { apiHandler } from '#http/api-handler';
import { preferredWait } from '#http/prefer';
import { renderTask } from '#http/render';
import { type ApiRequest, readJsonBody } from '#http/request';
import { logger } from '#observability/logger';
import { findOwnTask } from '#service/find-task';
import { holdConnection } from '#service/held-connections';
import { submitTask } from '#service/submit-task';
import { inlineResult } from '#service/task-result';
import { awaitOutcome } from '#service/watch-task';
import { WATCH_INTERVAL_MS } from '#sse/timing';

let validator: SubmissionValidator | undefined;
/** Built once per container, from the task types this deployment accepts. */
function submissionValidator(): SubmissionValidator {
  if (Object.keys(config.taskTypes).length === 0) throw new Error('environment variable TASK_TYPES must declare at least one task type');
  validator ??= new SubmissionValidator(config.taskTypes, { allowLoopbackCallbacks: config.allowLoopbackCallbacks });
  return validator;
}

/** Idempotency-Key (IETF httpapi draft): a string of 1 to 255 visible ASCII characters, quoted or not. */
function idempotencyKey(request: ApiRequest): string | undefined {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const key = raw.trim().replace(/^"(.*)"$/, '$1');
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) throw problems.invalidParameter('Idempotency-Key', 'must be 1 to 255 visible ASCII characters');
  return key;
}

/**
 * `?location=result` points `Location` at the result monitor (for Logic Apps / Power Automate and
 * ARM-style pollers, which poll `Location` while it answers 202); `task`, the default, at the task.
 */
function locationTarget(request: ApiRequest): 'task' | 'result' {
  const value = request.query.location;
  if (value === undefined || value === 'task' || value === 'result') return value ?? 'task';
  throw problems.invalidParameter('location', 'must be task or result');
}

/** Time kept back from the function's own timeout for the last read and the answer. */
const MARGIN_MS = 1_500;

/** A held slot outlives the wait by this much before it frees itself (should `finally` never run). */
const HOLD_MARGIN_SECONDS = 5;

/**
 * With `Prefer: wait=N`: the task once it ended within N s (or the function's time), else as it was.
 * A wait is a held connection: past the caller's cap, or this function's budget for them, the submit
 * answers at once (`waited: false`, no `Preference-Applied`), so waiting submits never delay plain ones.
 */
async function waitForOutcome(
  request: ApiRequest,
  task: TaskRecord,
  wait: number,
  arrived: number,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<{ task: TaskRecord; waited: boolean }> {
  if (isTerminal(task.status)) return { task, waited: true };
  const remaining = context.getRemainingTimeInMillis?.();
  const until = Math.min(arrived + wait * 1000, remaining === undefined ? Infinity : arrived + remaining - MARGIN_MS);
  const hold = await holdConnection(request.owner, Math.ceil((until - arrived) / 1000) + HOLD_MARGIN_SECONDS).catch((error: unknown) => {
    // Not being able to count it is no reason to fail a submit that succeeded: answer now.
    logger.warn('Could not take a held-connection slot; answering at once', { error: error as Error });
    return 'capacity' as const;
  });
  if (typeof hold === 'string') return { task, waited: false };
  try {
    const ended = await awaitOutcome(task, { until, intervalMs: WATCH_INTERVAL_MS });
    // The wait reads the watched attributes only; a success is answered with its result: read it all.
    if (ended.status === 'succeeded' && !('result' in ended))
      return { task: await findOwnTask(request.owner, ended.id, { consistent: true }), waited: true };
    return { task: ended, waited: true };
  } finally {
    await hold.release();
  }
}

export const handler = apiHandler(async (request, context) => {
  const arrived = Date.now();
  const target = locationTarget(request);
  const cancelAfterSeconds = parseCancelAfter(request.headers['cancel-after'], config.executionTimeoutSeconds);
  const submission = submissionValidator().validate(readJsonBody(request));
  const wait = preferredWait(request.headers.prefer);
  const submitted = await submitTask(request.owner, submission, { idempotencyKey: idempotencyKey(request), cancelAfterSeconds });
  const waited = wait ? await waitForOutcome(request, submitted.task, wait, arrived, context) : undefined;
  const task = waited?.task ?? submitted.task;
  const representation = renderTask(task, request.baseUrl);
  const preferenceApplied = waited?.waited ? `wait=${wait}` : undefined;
  if (preferenceApplied && isTerminal(task.status)) {
    // It ended within the wait: one request for a quick task (RFC 7240 wait, as Replicate does).
    const result = inlineResult(task);
    return {
      status: 200,
      body: result ? { ...representation, result: result.value } : representation,
      headers: { 'Content-Location': representation.links.self, 'Preference-Applied': preferenceApplied },
    };
  }
  return {
    status: 202,
    body: representation,
    headers: {
      Location: target === 'result' ? representation.links.result : representation.links.self,
      // Azure's long-running operation header: pollers (core-lro) prefer it to Location.
      'Operation-Location': representation.links.self,
      'Retry-After': retryAfterSeconds(task)?.toString(),
      'Preference-Applied': preferenceApplied,
    },
  };
});
