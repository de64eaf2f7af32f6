// GET /openapi.json --> openApiDocument (built once per container from the declared task types)
import { openApiDocument } from '#api/openapi';
import { config } from '#config';
import { apiHandler } from '#http/api-handler';

const document = openApiDocument(config.taskTypes);

export const handler = apiHandler(async () => ({ status: 200, body: document, headers: { 'Cache-Control': 'public, max-age=300' } }), {
  authenticated: false,
});
