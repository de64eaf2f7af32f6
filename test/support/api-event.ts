/**
 * API Gateway REST proxy events as API Gateway builds them for our routes, for calling handlers
 * in-process (tests and the benchmark; the local HTTP front builds its own from each request), and
 * calling handlers with them.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

export interface EventOptions {
  method: string;
  resource: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  /** The caller's API key id; omit for an unauthenticated event. */
  apiKeyId?: string;
  /** `requestContext.authorizer`, as a Lambda authorizer (`principalId`) or Cognito (`claims`) sets it. */
  authorizer?: Record<string, unknown>;
}

export function apiEvent(options: EventOptions): APIGatewayProxyEvent {
  const path = options.resource.replace(/\{(\w+)\}/g, (_, name: string) => options.pathParameters?.[name] ?? '');
  const headers = options.headers ?? {};
  return {
    resource: options.resource,
    path,
    httpMethod: options.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: options.query ? Object.fromEntries(Object.entries(options.query).map(([k, v]) => [k, [v]])) : null,
    pathParameters: options.pathParameters ?? null,
    stageVariables: null,
    body: options.body ?? null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: options.authorizer ?? null,
      protocol: 'HTTP/1.1',
      httpMethod: options.method,
      domainName: 'local.execute-api.us-east-1.amazonaws.com',
      path: `/v1${path}`,
      stage: 'v1',
      requestId: crypto.randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'r',
      resourcePath: options.resource,
      identity: {
        apiKeyId: options.apiKeyId ?? null,
        apiKey: options.apiKeyId ? 'redacted' : null,
        sourceIp: '127.0.0.1',
        userAgent: 'vitest',
      } as APIGatewayProxyEvent['requestContext']['identity'],
    },
  } as APIGatewayProxyEvent;
}

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
