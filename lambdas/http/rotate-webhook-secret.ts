// POST /webhook-secret --> webhook secret store (rotate; the old secret signs alongside for 24 h)
import { apiHandler } from '#http/api-handler';
import { secretResponse } from '#http/webhook-secret-response';
import { rotateSecret } from '#store/webhook-secret-store';

export const handler = apiHandler(async (request) => secretResponse(await rotateSecret(request.owner)));
