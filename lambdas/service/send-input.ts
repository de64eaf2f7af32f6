/**
 * input use case: the input a waiting worker asked for. Checked against the awaited schema, then
 * the wait is ended in one conditional write (so an input is taken once, whoever sends it), then
 * the worker resumes (SendTaskSuccess). By its owner (`POST /tasks/{id}/input`), or by anyone with
 * the wait's capability URL, no API key (`POST /tasks/{id}/input/{capability}`).
 */
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { sfn } from '#clients/sfn';
import { isTransientAwsError } from '#clients/transient-errors';
import { config } from '#config';
import { problems } from '#domain/errors';
import { historyEntry } from '#domain/history';
import { isTaskId } from '#domain/ids';
import { inputReceivedExpression, isInputCapability, isWaiting, restoreWaitExpression } from '#domain/input';
import { validateInput } from '#domain/input-schema';
import type { TaskRecord } from '#domain/task';
import { logger } from '#observability/logger';
import { assertVisible, type Owners } from '#service/find-task';
import { conditionalUpdate, getTask } from '#store/task-store';

/** Who sends: the task's owner, or the holder of a capability URL. */
export type InputSender = { owner: Owners } | { capability: string };

/** Errors of SendTaskSuccess that mean the wait is over (timed out, or its execution ended). */
const WAIT_OVER = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export async function sendInput(sender: InputSender, id: string, body: unknown): Promise<TaskRecord> {
  // A capability holder learns nothing about the task: every refusal is the same 404.
  const refuse = 'capability' in sender ? () => problems.notFound() : () => problems.noInputAwaited();
  if (!isTaskId(id)) throw problems.notFound();
  const task = await getTask(id, { consistent: true });
  if ('owner' in sender) assertVisible(task, id, sender.owner);
  else if (
    !task ||
    task.purgedAt ||
    !config.inputCapabilityKey ||
    !isInputCapability(config.inputCapabilityKey, id, task.awaitingInput, sender.capability)
  ) {
    throw problems.notFound();
  }
  const wait = task.awaitingInput;
  if (task.status !== 'running' || !isWaiting(wait) || !task.inputToken) throw refuse();
  validateInput(wait, body);

  const now = new Date().toISOString();
  const claimed = await conditionalUpdate(id, inputReceivedExpression(), {
    ':now': now,
    ':since': wait.since,
    ':history': historyEntry('input_received', 'running', now, wait.name),
  });
  if (!claimed.ok) throw refuse();
  try {
    await sfn.send(new SendTaskSuccessCommand({ taskToken: task.inputToken, output: JSON.stringify(body) }));
  } catch (error) {
    if (WAIT_OVER.has((error as Error).name)) throw refuse();
    logger.error('SendTaskSuccess failed; the wait is put back', { taskId: id, error: error as Error });
    // Put the wait back, so the input can be sent again (unless the task moved on meanwhile).
    await conditionalUpdate(id, restoreWaitExpression(), { ':awaitingInput': wait, ':token': task.inputToken, ':version': claimed.task.version });
    throw isTransientAwsError(error) ? problems.unavailable(1) : problems.internal();
  }
  logger.info('Input received', { taskId: id, input: wait.name, by: 'owner' in sender ? 'owner' : 'capability' });
  return claimed.task;
}
