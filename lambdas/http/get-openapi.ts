// GET /openapi.json --> openApiDocument (built once per container from the declared task types; the live channel's route only when deployed: LIVE_URL)
import { openApiDocument } from '#api/openapi';
import { config } from '#config';
import { apiHandler } from '#http/api-handler';

let document: ReturnType<typeof openApiDocument> | undefined;

export const handler = apiHandler(
  async () => {
    document ??= openApiDocument(config.taskTypes, { liveUpdates: config.liveOrigins.length > 0 });
    return { status: 200, body: document, headers: { 'Cache-Control': 'public, max-age=300' } };
  },
  { authenticated: false },
);
