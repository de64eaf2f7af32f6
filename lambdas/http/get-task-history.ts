// GET /tasks/{id}/history --> findOwnTask --> task store (GetItem); the entries are read from the task
import { readHistory } from '#domain/history';
import { apiHandler } from '#http/api-handler';
import { findOwnTask } from '#service/find-task';

export const handler = apiHandler(async (request) => {
  const task = await findOwnTask(request.owners, request.pathParameters.id ?? '');
  return { status: 200, body: { items: readHistory(task) } };
});
