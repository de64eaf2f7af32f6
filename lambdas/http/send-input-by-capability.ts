// POST /tasks/{id}/input/{capability} (no API key: the URL is the credential) --> sendInput --> task store + SendTaskSuccess
// Answers 204 and nothing about the task: whoever holds the link may answer, not read.
import { MAX_INPUT_BYTES } from '#domain/input';
import { apiHandler } from '#http/api-handler';
import { readJsonBody } from '#http/request';
import { sendInput } from '#service/send-input';

export const handler = apiHandler(
  async (request) => {
    await sendInput({ capability: request.pathParameters.capability ?? '' }, request.pathParameters.id ?? '', readJsonBody(request, MAX_INPUT_BYTES));
    return { status: 204 };
  },
  { authenticated: false },
);
