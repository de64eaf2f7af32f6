// GET /webhook-secret --> webhook secret store (created on first use)
import { apiHandler } from '#http/api-handler';
import { secretResponse } from '#http/webhook-secret-response';
import { getOrCreateSecret } from '#store/webhook-secret-store';

export const handler = apiHandler(async (request) => secretResponse(await getOrCreateSecret(request.owner)));
