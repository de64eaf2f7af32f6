/** Calls handlers in-process with API Gateway proxy events (built by `lib/local/api-event.ts`). */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

export { apiEvent } from '../../lib/local/api-event.ts';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** A Lambda context for in-process invocations (Powertools' injectLambdaContext reads it). */
export const lambdaContext = { functionName: 'test', awsRequestId: 'test', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

/** Invokes a handler and parses its answer. */
export async function invoke(handler: unknown, event: APIGatewayProxyEvent) {
  const result = await (handler as Handler)(event, lambdaContext);
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
  const body = result.body ? (JSON.parse(result.body) as Record<string, any>) : undefined;
  return { status: result.statusCode, headers, body };
}
