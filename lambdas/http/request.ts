/** What a route handler needs from an API Gateway proxy event, parsed once. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { config } from '#config';
import { problems } from '#domain/errors';
import { MAX_BODY_BYTES } from '#domain/submission';
import { baseUrlOf } from '#http/base-url';

export interface ApiRequest {
  /**
   * The caller, never a client-supplied header: its consumer (every key of a consumer is the same
   * caller), a key of no known consumer, or the JWT's subject. Empty on public routes.
   */
  owner: string;
  /**
   * Every owner whose tasks this caller may read and cancel: `owner`, and for a consumer's key the
   * key itself, which owned the tasks created before keys were mapped to consumers.
   */
  owners: string[];
  /** Lower-cased header names. */
  headers: Record<string, string>;
  pathParameters: Record<string, string>;
  query: Record<string, string>;
  /** Every value of every query parameter (a repeated parameter has several). */
  queryAll: Record<string, string[]>;
  /** The path prefix of the API as the client reached it: `/v1` on execute-api, a custom domain's base path. */
  basePath: string;
  /** The absolute URL every link and `Location` starts with, e.g. `https://api.example.com/longrun` (see `#http/base-url`). */
  baseUrl: string;
  /** Request path as the client sent it, for problem `instance`. */
  path: string;
  body: string | null;
}

/** The owners of the caller: its consumer (then also the key itself, see `owners`), or the key, or the JWT subject. */
function callerOf(event: APIGatewayProxyEvent): string[] {
  const authorizer = event.requestContext?.authorizer as Record<string, unknown> | null | undefined;
  const claims = authorizer?.claims as Record<string, unknown> | undefined;
  const jwtClaims = (authorizer?.jwt as { claims?: Record<string, unknown> } | undefined)?.claims;
  const sub = claims?.sub ?? jwtClaims?.sub ?? authorizer?.principalId;
  if (typeof sub === 'string' && sub) return [`sub:${sub}`];
  const apiKeyId = event.requestContext?.identity?.apiKeyId;
  if (!apiKeyId) return [];
  const consumer = config.apiKeyConsumers[apiKeyId];
  return consumer ? [`consumer:${consumer}`, `key:${apiKeyId}`] : [`key:${apiKeyId}`];
}

export function parseRequest(event: APIGatewayProxyEvent, authenticated = true): ApiRequest {
  const owners = callerOf(event);
  const owner = owners[0] ?? '';
  if (authenticated && !owner) throw problems.unauthenticated();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
  const body = event.body == null ? null : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const { origin, basePath } = baseUrlOf(event);
  return {
    owner,
    owners,
    headers,
    pathParameters: (event.pathParameters ?? {}) as Record<string, string>,
    query: (event.queryStringParameters ?? {}) as Record<string, string>,
    queryAll: queryValues(event),
    basePath,
    baseUrl: origin + basePath,
    path: event.requestContext?.path ?? event.path,
    body,
  };
}

function queryValues(event: APIGatewayProxyEvent): Record<string, string[]> {
  const all: Record<string, string[]> = Object.create(null);
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) if (values) all[name] = values;
  // Events built without the multi-value map (tests, other fronts): the single values.
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) if (value !== undefined) all[name] ??= [value];
  return all;
}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

/** The JSON body of a request: 413 over the limit, 415 unless JSON, 400 if it does not parse. */
export function readJsonBody(request: ApiRequest, maxBytes: number = MAX_BODY_BYTES): unknown {
  const body = request.body ?? '';
  if (Buffer.byteLength(body, 'utf8') > maxBytes) throw problems.payloadTooLarge(maxBytes);
  if (!JSON_MEDIA_TYPE.test(request.headers['content-type'] ?? '')) throw problems.unsupportedMediaType();
  if (body.trim() === '') throw problems.malformedJson('The request body is empty; send a JSON object.');
  try {
    return JSON.parse(body);
  } catch (error) {
    throw problems.malformedJson(`The request body is not valid JSON: ${(error as Error).message}`);
  }
}
