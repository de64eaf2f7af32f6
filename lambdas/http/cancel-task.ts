// DELETE /tasks/{id} --> cancelTask --> task store (conditional UpdateItem) + StopExecution
import { config } from '#config';
import { toRepresentation } from '#domain/representation';
import { apiHandler } from '#http/api-handler';
import { cancelTask } from '#service/cancel-task';

export const handler = apiHandler(async (request) => {
  const task = await cancelTask(request.owners, request.pathParameters.id ?? '');
  return { status: 200, body: toRepresentation(task, request.baseUrl, config.retentionSeconds) };
});
