// GET /tasks/{id} --> findOwnTask --> task store (GetItem)
import { config } from '#config';
import { retryAfterSeconds, toRepresentation } from '#domain/representation';
import { apiHandler } from '#http/api-handler';
import { etagOf, ifNoneMatch } from '#http/response';
import { findOwnTask } from '#service/find-task';

export const handler = apiHandler(async (request) => {
  const task = await findOwnTask(request.owner, request.pathParameters.id ?? '');
  const representation = toRepresentation(task, request.basePath, config.retentionSeconds);
  const etag = etagOf(representation);
  const headers = { ETag: etag, 'Cache-Control': 'no-cache', 'Retry-After': retryAfterSeconds(task)?.toString() };
  if (ifNoneMatch(request.headers['if-none-match'], etag)) return { status: 304, headers };
  return { status: 200, body: representation, headers };
});
