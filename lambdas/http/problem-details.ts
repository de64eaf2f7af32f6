/**
 * The one error path: any error a handler throws leaves as RFC 9457 problem details. Our own
 * problems keep their detail; anything else becomes a generic 500 (or 503 for AWS throttling and
 * outages) and is logged, so no stack trace or AWS message reaches a client.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { isTransientAwsError } from '#clients/transient-errors';
import { ProblemError, problems } from '#domain/errors';
import { commonHeaders } from '#http/response';
import { logger } from '#observability/logger';

export function toProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  const transient = isTransientAwsError(error);
  logger.error(transient ? 'Dependency unavailable' : 'Unhandled error', { error: error as Error });
  return transient ? problems.unavailable(1) : problems.internal();
}

export function problemResponse(problem: ProblemError, instance: string, origin?: string): APIGatewayProxyResult {
  return {
    statusCode: problem.status,
    headers: {
      ...commonHeaders(origin),
      'Content-Type': 'application/problem+json',
      ...problem.headers,
    },
    body: JSON.stringify({
      type: problem.type,
      title: problem.title,
      status: problem.status,
      detail: problem.detail,
      instance,
      ...problem.extensions,
    }),
  };
}

export function problemDetails(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: (request) => {
      const event = request.event;
      request.response = problemResponse(
        toProblem(request.error),
        event?.requestContext?.path ?? event?.path ?? '',
        event?.headers?.origin ?? event?.headers?.Origin,
      );
    },
  };
}
