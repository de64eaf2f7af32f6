/**
 * The shared middy stack for every route: log context, parse the event, run the route, shape the
 * response; errors leave through `problemDetails`, whose onError runs after the route's and before
 * the log context is reset (middy runs onError in reverse order of registration).
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { lambdaContext, logContext } from '#http/log-context';
import { problemDetails } from '#http/problem-details';
import { type ApiRequest, parseRequest } from '#http/request';
import { type ApiResponse, toResult } from '#http/response';

export function apiHandler(route: (request: ApiRequest, context: Context) => Promise<ApiResponse>, options: { authenticated?: boolean } = {}) {
  const authenticated = options.authenticated ?? true;
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(lambdaContext())
    .use(problemDetails())
    .use(logContext())
    .handler(async (event, context) =>
      toResult(await route(parseRequest(event, authenticated), context), event.headers?.origin ?? event.headers?.Origin),
    );
}
