// POST /tasks/{id}/retry --> retryTask --> task store (conditional UpdateItem) + deadline schedule + StartExecution
import { retryAfterSeconds } from '#domain/representation';
import { apiHandler } from '#http/api-handler';
import { renderTask } from '#http/render';
import { retryTask } from '#service/retry-task';

export const handler = apiHandler(async (request) => {
  const task = await retryTask(request.owners, request.pathParameters.id ?? '');
  const representation = renderTask(task, request.baseUrl);
  return {
    status: 202,
    body: representation,
    headers: { Location: representation.links.self, 'Retry-After': retryAfterSeconds(task)?.toString() },
  };
});
