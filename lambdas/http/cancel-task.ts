// DELETE /tasks/{id} --> cancelTask --> task store (conditional UpdateItem) + StopExecution
// DELETE /tasks/{id}?purge=true --> purgeTask --> (cancel,) S3 DeleteObject, task store (conditional UpdateItem)
import { problems } from '#domain/errors';
import { apiHandler } from '#http/api-handler';
import { renderTask } from '#http/render';
import { cancelTask } from '#service/cancel-task';
import { purgeTask } from '#service/purge-task';

/** `?purge=true` erases the task now; `false` (or none) cancels it. */
function wantsPurge(value: string | undefined): boolean {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw problems.invalidParameter('purge', 'must be true or false');
}

export const handler = apiHandler(async (request) => {
  const id = request.pathParameters.id ?? '';
  if (wantsPurge(request.query.purge)) {
    await purgeTask(request.owners, id);
    return { status: 204 };
  }
  const task = await cancelTask(request.owners, id);
  return { status: 200, body: renderTask(task, request.baseUrl) };
});
