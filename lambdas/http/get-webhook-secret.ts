// GET /webhook-secret --> webhookSecretOf (created on first use) --> webhook secret store
import { apiHandler } from '#http/api-handler';
import { webhookSecretOf } from '#service/webhook-secrets';

// no-store comes with every response (commonHeaders): the secret is never cached.
export const handler = apiHandler(async (request) => ({ status: 200, body: await webhookSecretOf(request.owner) }));
