/**
 * The one error path of the live channel's WebSocket routes, as `#http/api-handler` is for the
 * REST routes: a thrown problem is the answer, anything else is logged and answered as a 500 (503
 * for AWS throttling and outages). `$connect` answers with a status (API Gateway refuses the
 * handshake with it); a message route answers with a message (the route's response is sent to the
 * client), `{ event: 'error', problem }` for a problem.
 */
import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import type { LiveMessage } from '#domain/live';
import { toProblem } from '#http/problem-details';
import { logger } from '#observability/logger';

type Route<T> = (event: APIGatewayProxyWebsocketEventV2) => Promise<T>;

function problemOf(error: unknown) {
  const problem = toProblem(error);
  return { problem, body: { type: problem.type, title: problem.title, status: problem.status, detail: problem.detail, ...problem.extensions } };
}

function withContext(event: APIGatewayProxyWebsocketEventV2): void {
  logger.appendKeys({ connectionId: event.requestContext?.connectionId, apiRequestId: event.requestContext?.requestId });
}

/** `$connect` / `$disconnect`: 200, or the problem's status (with its headers, e.g. `Retry-After`). */
export function connectionRoute(route: Route<void>) {
  return async (event: APIGatewayProxyWebsocketEventV2): Promise<APIGatewayProxyResultV2> => {
    withContext(event);
    try {
      await route(event);
      return { statusCode: 200 };
    } catch (error) {
      const { problem, body } = problemOf(error);
      return { statusCode: problem.status, headers: { 'Content-Type': 'application/problem+json', ...problem.headers }, body: JSON.stringify(body) };
    } finally {
      logger.resetKeys();
    }
  };
}

/** A message route: its answer is one message to the client. */
export function messageRoute(route: Route<LiveMessage>) {
  return async (event: APIGatewayProxyWebsocketEventV2): Promise<APIGatewayProxyResultV2> => {
    withContext(event);
    try {
      return { statusCode: 200, body: JSON.stringify(await route(event)) };
    } catch (error) {
      const { body } = problemOf(error);
      return { statusCode: 200, body: JSON.stringify({ event: 'error', problem: body } satisfies LiveMessage) };
    } finally {
      logger.resetKeys();
    }
  };
}
