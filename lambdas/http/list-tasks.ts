// GET /tasks --> listTasks --> task store (Query on the owner index)
import { apiHandler } from '#http/api-handler';
import { renderTask } from '#http/render';
import { listTasks } from '#service/list-tasks';

export const handler = apiHandler(async (request) => {
  const { items, nextCursor } = await listTasks(request.owner, request.queryAll);
  return { status: 200, body: { items: items.map((task) => renderTask(task, request.baseUrl)), nextCursor } };
});
