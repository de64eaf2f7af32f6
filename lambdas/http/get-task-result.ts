// GET /tasks/{id}/result (the result monitor) --> readTaskAwaitingChange --> task store (GetItem, owner index probes while waiting) --> taskResult (inline, or presigned S3 URL)
// 202 + Location (itself) while pending or running, the result once succeeded, 409 once failed or cancelled.
import { problems } from '#domain/errors';
import { retryAfterSeconds } from '#domain/representation';
import { apiHandler } from '#http/api-handler';
import { readTaskAwaitingChange } from '#http/long-poll';
import { renderTask } from '#http/render';
import { findOwnTask } from '#service/find-task';
import { taskResult } from '#service/task-result';

export const handler = apiHandler(async (request, context) => {
  // The whole task at first (the result is what is asked for); a wait ends with the watched attributes only.
  const polled = await readTaskAwaitingChange(request, context, undefined);
  const { preferenceApplied } = polled;
  const task =
    polled.task.status === 'succeeded' && !('result' in polled.task)
      ? await findOwnTask(request.owners, polled.task.id, { consistent: true })
      : polled.task;
  const representation = renderTask(task, request.baseUrl);
  if (representation.error) throw problems.taskNotSucceeded(task.status, undefined, representation.error);
  if (task.status !== 'succeeded') {
    return {
      status: 202,
      body: representation,
      headers: { Location: representation.links.result, 'Retry-After': retryAfterSeconds(task)?.toString(), 'Preference-Applied': preferenceApplied },
    };
  }
  const result = await taskResult(task);
  // A stored result: 303 See Other to a presigned GET, which needs no API key (the link is the credential).
  if (result.stored) return { status: 303, headers: { Location: result.url, 'Preference-Applied': preferenceApplied } };
  return { status: 200, body: result.value, headers: { 'Preference-Applied': preferenceApplied } };
});
