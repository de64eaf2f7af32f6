// GET /tasks/{id}/result --> findOwnTask --> task store (GetItem)
import { problems } from '#domain/errors';
import { retryAfterSeconds } from '#domain/representation';
import { apiHandler } from '#http/api-handler';
import { findOwnTask } from '#service/find-task';

export const handler = apiHandler(async (request) => {
  const task = await findOwnTask(request.owner, request.pathParameters.id ?? '');
  if (task.status !== 'succeeded') throw problems.taskNotSucceeded(task.status, retryAfterSeconds(task));
  return { status: 200, body: JSON.parse(task.result ?? 'null') };
});
