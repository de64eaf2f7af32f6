/**
 * Log context for a route invocation: with Powertools' injectLambdaContext (the Lambda request id,
 * function, cold start), this adds the API Gateway request id and, on `/tasks/{id}` routes, the
 * task id to every line the invocation logs. The keys are reset after each invocation.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { isTaskId } from '#domain/ids';
import { logger } from '#observability/logger';

/** Register first: its onError then runs after the problem middleware has logged with the keys. */
export function lambdaContext() {
  return injectLambdaContext(logger, { resetKeys: true });
}

export function logContext(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    before: ({ event }) => {
      const id = event.pathParameters?.id;
      // Only a well-formed id: the path parameter is the client's text.
      logger.appendKeys({ apiRequestId: event.requestContext?.requestId, ...(id && isTaskId(id) && { taskId: id }) });
    },
  };
}
