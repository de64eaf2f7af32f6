// POST /tasks/{id}/input --> sendInput --> task store (GetItem, conditional UpdateItem) + SendTaskSuccess
import { MAX_INPUT_BYTES } from '#domain/input';
import { apiHandler } from '#http/api-handler';
import { renderTask } from '#http/render';
import { readJsonBody } from '#http/request';
import { sendInput } from '#service/send-input';

export const handler = apiHandler(async (request) => {
  const task = await sendInput({ owner: request.owners }, request.pathParameters.id ?? '', readJsonBody(request, MAX_INPUT_BYTES));
  const representation = renderTask(task, request.baseUrl);
  return { status: 202, body: representation, headers: { Location: representation.links.self } };
});
