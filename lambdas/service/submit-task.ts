/** submit use case: record the task (claiming the idempotency key, if any) and start its execution. */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isTransientAwsError } from '#clients/transient-errors';
import { config } from '#config';
import { canonicalJson } from '#domain/canonical-json';
import { deadlineAfter } from '#domain/deadline';
import { problemObject, problems } from '#domain/errors';
import { historyEntry } from '#domain/history';
import { newTaskId } from '#domain/ids';
import { openIndexAttributes } from '#domain/open-index';
import type { Submission } from '#domain/submission';
import type { TaskRecord } from '#domain/task';
import { logger } from '#observability/logger';
import { executionInput, MAX_EXECUTION_INPUT_BYTES } from '#service/executions';
import { startTask } from '#service/start-task';
import { countTask, TASK_METRICS } from '#service/task-metrics';
import { ClaimConflict, getTask, type IdempotencyRecord, putTask, putTaskClaimingKey, releaseKey, transition } from '#store/task-store';

export interface SubmitResult {
  task: TaskRecord;
  /** True when an earlier request with the same Idempotency-Key created the task. */
  replayed: boolean;
}

const START_FAILED = problemObject('start-failed', 'The task could not be started; submit it again.');

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A StartExecution failure as the caller sees it: 503 if a retry may succeed, else a 500 (a bug or a misconfiguration). */
function startProblem(error: unknown) {
  return isTransientAwsError(error) ? problems.unavailable(1) : problems.internal();
}

/** How a submit was asked for besides its body. */
export interface SubmitOptions {
  idempotencyKey?: string;
  /** `Cancel-After`, in seconds: the task's deadline is this far from now. */
  cancelAfterSeconds?: number;
}

export async function submitTask(owner: string, submission: Submission, options: SubmitOptions = {}): Promise<SubmitResult> {
  const { idempotencyKey, cancelAfterSeconds } = options;
  const now = Date.now();
  const nowIso = new Date(now).toISOString();
  // Cancel-After is part of the request: the same key with another deadline is another request.
  const requestHash = sha256(canonicalJson(cancelAfterSeconds === undefined ? submission : { ...submission, cancelAfterSeconds }));
  const taskId = newTaskId(now);
  const task: TaskRecord = {
    id: taskId,
    owner,
    type: submission.type,
    status: 'pending',
    input: JSON.stringify(submission.input),
    progress: { percent: 0 },
    createdAt: nowIso,
    updatedAt: nowIso,
    ...(submission.callbackUrl && { callbackUrl: submission.callbackUrl }),
    ...(submission.callbackEvents && { callbackEvents: submission.callbackEvents }),
    ...(submission.metadata && Object.keys(submission.metadata).length > 0 && { metadata: submission.metadata }),
    ...(cancelAfterSeconds !== undefined && { cancelAfterSeconds, deadline: deadlineAfter(now, cancelAfterSeconds) }),
    attempt: 1,
    // Short task types run on the Express state machine; the record says so for cancel, the deadline and the sweeper.
    ...(config.expressTaskTypes.includes(submission.type) && { workflow: 'express' as const }),
    history: historyEntry('submitted', 'pending', nowIso),
    requestHash,
    version: 1,
    // The row may go once the longest possible run plus retention has passed.
    ttl: Math.ceil(now / 1000) + config.executionTimeoutSeconds + config.retentionSeconds,
    // Open until a terminal transition: the sweeper finds it if the submit dies before StartExecution.
    ...openIndexAttributes(taskId, nowIso),
  };
  logger.appendKeys({ taskId: task.id });
  // The body limit alone does not bound the execution input (envelope, re-serialised numbers): check what is sent.
  if (Buffer.byteLength(executionInput(task)) > MAX_EXECUTION_INPUT_BYTES) throw problems.executionInputTooLarge(MAX_EXECUTION_INPUT_BYTES);

  let claimId: string | undefined;
  if (idempotencyKey === undefined) {
    await putTask(task);
  } else {
    claimId = `idempotency#${sha256(`${owner}\n${idempotencyKey}`)}`;
    const claim = { id: claimId, taskId: task.id, requestHash, ttl: Math.ceil(now / 1000) + config.idempotencyTtlSeconds };
    const outcome = await claimOrWait(task, claim, Math.floor(now / 1000));
    if (!outcome.created) return replay(owner, outcome.existing, requestHash);
  }

  try {
    await startTask(task);
  } catch (error) {
    logger.error('StartExecution failed', { taskId: task.id, error: error as Error });
    // A transient failure may have taken effect (the execution may run). With an Idempotency-Key the
    // task stays pending and the key claimed: the client's retry replays it (StartExecution again,
    // idempotent), so the work runs once; a client that never retries is started by the sweeper.
    if (claimId && isTransientAwsError(error)) throw startProblem(error);
    // Without a key the client cannot replay, and a retry would be a second task: the task stays
    // pending in the open-task index, accepted, and the sweeper starts it if this start did not take effect.
    if (isTransientAwsError(error)) {
      countTask(TASK_METRICS.startDeferred, task.type);
      return { task, replayed: false };
    }
    // Otherwise nothing may run this task: close it as failed and free the key, so a retry starts afresh.
    await transition(task.id, 'failed', new Date().toISOString(), { error: JSON.stringify(START_FAILED) }, { detail: 'start-failed' });
    if (claimId) await releaseKey(claimId);
    countTask(TASK_METRICS.startFailed, task.type);
    throw startProblem(error);
  }
  countTask(TASK_METRICS.submitted, task.type);
  return { task, replayed: false };
}

/** Time for a racing request's transaction to commit before this one claims again. */
const CLAIM_RACE_WAIT_MS = 150;

/**
 * Claims the key; when another request with the same key is in the middle of claiming it, waits a
 * moment and tries once more (by then the other one has committed: this one replays it). Still
 * racing: 503 with Retry-After, never a 500.
 */
async function claimOrWait(task: TaskRecord, claim: IdempotencyRecord, nowSeconds: number) {
  try {
    return await putTaskClaimingKey(task, claim, nowSeconds);
  } catch (error) {
    if (!(error instanceof ClaimConflict)) throw error;
  }
  await sleep(CLAIM_RACE_WAIT_MS);
  try {
    return await putTaskClaimingKey(task, claim, nowSeconds);
  } catch (error) {
    if (error instanceof ClaimConflict) throw problems.unavailable(1);
    throw error;
  }
}

async function replay(owner: string, claim: { taskId: string; requestHash: string }, requestHash: string): Promise<SubmitResult> {
  logger.appendKeys({ taskId: claim.taskId });
  if (claim.requestHash !== requestHash) throw problems.idempotencyKeyReused();
  const task = await getTask(claim.taskId);
  // The claim and the task are written in one transaction, so this only happens once the task expired.
  if (!task || task.owner !== owner) throw problems.unavailable(1);
  // If the first request died between its write and StartExecution, this finishes its work;
  // otherwise StartExecution answers with the running execution and starts nothing new. A start
  // that fails is not answered 202: the task stays pending (the sweeper or the next replay starts it).
  if (task.status === 'pending') {
    try {
      await startTask(task);
    } catch (error) {
      logger.warn('StartExecution on replay failed', { taskId: task.id, error: error as Error });
      throw startProblem(error);
    }
  }
  return { task, replayed: true };
}
