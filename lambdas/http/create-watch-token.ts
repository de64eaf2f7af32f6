// POST /watch-tokens { taskId? } --> issueWatchToken (the caller's task, or all of its tasks) --> live store
import { problems } from '#domain/errors';
import { apiHandler } from '#http/api-handler';
import { readJsonBody } from '#http/request';
import { issueWatchToken } from '#service/live';

/** The body is optional: none (or `{}`) asks for a token for every task of the caller. */
function taskIdOf(body: unknown): string | undefined {
  if (body === undefined) return undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw problems.validation([{ pointer: '', detail: 'must be a JSON object' }]);
  const { taskId, ...rest } = body as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) throw problems.validation([{ pointer: `/${extra}`, detail: 'is not a member of a watch token request' }]);
  if (taskId !== undefined && typeof taskId !== 'string') throw problems.validation([{ pointer: '/taskId', detail: 'must be a string' }]);
  return taskId as string | undefined;
}

export const handler = apiHandler(async (request) => {
  const body = request.body === null || request.body.trim() === '' ? undefined : readJsonBody(request);
  return { status: 201, body: await issueWatchToken(request.owners, taskIdOf(body)) };
});
