// POST /webhook-secret --> rotateWebhookSecret (the old secret signs alongside for 24 h) --> webhook secret store
import { apiHandler } from '#http/api-handler';
import { rotateWebhookSecret } from '#service/webhook-secrets';

export const handler = apiHandler(async (request) => ({ status: 200, body: await rotateWebhookSecret(request.owner) }));
