// GET /console, GET /console/{asset} --> consoleResponse (the page, or a file of the app built into this function; no AWS call)
import { apiHandler } from '#http/api-handler';
import { consoleResponse } from '#http/console-page';

export const handler = apiHandler(async (request) => consoleResponse(request.basePath, request.pathParameters.asset, request.query.v), {
  authenticated: false,
});
