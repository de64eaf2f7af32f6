// GET /tasks/{id}/result (the result monitor) --> readTaskAwaitingChange --> task store (GetItem)
// 202 + Location (itself) while pending or running, 200 with the result once succeeded, 409 once failed or cancelled.
import { config } from '#config';
import { problems } from '#domain/errors';
import { retryAfterSeconds, toRepresentation } from '#domain/representation';
import { apiHandler } from '#http/api-handler';
import { readTaskAwaitingChange } from '#http/long-poll';

export const handler = apiHandler(async (request, context) => {
  const { task, preferenceApplied } = await readTaskAwaitingChange(request, context);
  const representation = toRepresentation(task, request.baseUrl, config.retentionSeconds);
  if (task.status === 'succeeded') return { status: 200, body: JSON.parse(task.result ?? 'null'), headers: { 'Preference-Applied': preferenceApplied } };
  if (representation.error) throw problems.taskNotSucceeded(task.status, undefined, representation.error);
  return {
    status: 202,
    body: representation,
    headers: { Location: representation.links.result, 'Retry-After': retryAfterSeconds(task)?.toString(), 'Preference-Applied': preferenceApplied },
  };
});
