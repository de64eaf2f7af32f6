/**
 * The shared middy stack for every route: parse the event, run the route, shape the response;
 * errors leave through `problemDetails`, registered first so its onError runs last.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { problemDetails } from '#http/problem-details';
import { parseRequest, type ApiRequest } from '#http/request';
import { toResult, type ApiResponse } from '#http/response';

export function apiHandler(route: (request: ApiRequest, context: Context) => Promise<ApiResponse>, options: { authenticated?: boolean } = {}) {
  const authenticated = options.authenticated ?? true;
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(problemDetails())
    .handler(async (event, context) => toResult(await route(parseRequest(event, authenticated), context), event.headers?.origin ?? event.headers?.Origin));
}
