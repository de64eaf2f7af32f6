// GET /tasks --> listTasks --> task store (Query on the owner index)
import { config } from '#config';
import { toRepresentation } from '#domain/representation';
import { apiHandler } from '#http/api-handler';
import { listTasks } from '#service/list-tasks';

export const handler = apiHandler(async (request) => {
  const { items, nextCursor } = await listTasks(request.owner, request.query);
  return { status: 200, body: { items: items.map((task) => toRepresentation(task, request.baseUrl, config.retentionSeconds)), nextCursor } };
});
