// GET /tasks/{id} --> readTaskAwaitingChange (long poll with Prefer: wait) --> task store (GetItem)
import { retryAfterSeconds } from '#domain/representation';
import { apiHandler } from '#http/api-handler';
import { readTaskAwaitingChange } from '#http/long-poll';
import { renderTask } from '#http/render';
import { etagOf, ifNoneMatch } from '#http/response';

export const handler = apiHandler(async (request, context) => {
  const { task, preferenceApplied } = await readTaskAwaitingChange(request, context);
  const representation = renderTask(task, request.baseUrl);
  const etag = etagOf(representation);
  const headers = {
    ETag: etag,
    'Cache-Control': 'no-cache',
    'Retry-After': retryAfterSeconds(task)?.toString(),
    'Preference-Applied': preferenceApplied,
  };
  if (ifNoneMatch(request.headers['if-none-match'], etag)) return { status: 304, headers };
  return { status: 200, body: representation, headers };
});
