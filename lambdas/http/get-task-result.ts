// GET /tasks/{id}/result --> findOwnTask --> task store (GetItem) --> taskResult (inline, or presigned S3 URL)
import { problems } from '#domain/errors';
import { retryAfterSeconds } from '#domain/representation';
import { apiHandler } from '#http/api-handler';
import { findOwnTask } from '#service/find-task';
import { taskResult } from '#service/task-result';

export const handler = apiHandler(async (request) => {
  const task = await findOwnTask(request.owner, request.pathParameters.id ?? '');
  if (task.status !== 'succeeded') throw problems.taskNotSucceeded(task.status, retryAfterSeconds(task));
  const result = await taskResult(task);
  // A stored result: 303 See Other to a presigned GET, which needs no API key (the link is the credential).
  if (result.stored) return { status: 303, headers: { Location: result.url } };
  return { status: 200, body: result.value };
});
