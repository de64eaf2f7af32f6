/**
 * Problem details for everything API Gateway answers by itself (unknown routes, bad keys,
 * throttling, wrong methods), from the same catalog as the API's own errors.
 */
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { PROBLEM_BASE, PROBLEM_KINDS, type ProblemKind } from '../lambdas/domain/errors.ts';

const PROBLEM_CONTENT_TYPE = "'application/problem+json'";

interface GatewayProblem {
  type: apigateway.ResponseType;
  /** The problem kind, from the catalog the API's own errors use (status and title come from it). */
  kind: ProblemKind;
  /** A fixed detail instead of `$context.error.message` (never echo internal text for these). */
  detail?: string;
  headers?: Record<string, string>;
}

const SERVER_ERROR = 'The server could not complete the request.';
const GATEWAY_PROBLEMS: readonly GatewayProblem[] = [
  { type: apigateway.ResponseType.DEFAULT_4XX, kind: 'bad-request' },
  { type: apigateway.ResponseType.DEFAULT_5XX, kind: 'internal-error', detail: SERVER_ERROR },
  { type: apigateway.ResponseType.BAD_REQUEST_BODY, kind: 'bad-request' },
  { type: apigateway.ResponseType.BAD_REQUEST_PARAMETERS, kind: 'bad-request' },
  { type: apigateway.ResponseType.INVALID_API_KEY, kind: 'unauthorized', detail: 'A valid API key is required in the x-api-key header.' },
  { type: apigateway.ResponseType.UNAUTHORIZED, kind: 'unauthorized' },
  { type: apigateway.ResponseType.ACCESS_DENIED, kind: 'forbidden' },
  { type: apigateway.ResponseType.WAF_FILTERED, kind: 'forbidden' },
  // API Gateway answers an unknown path with this (403 by default): it is a 404.
  { type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN, kind: 'not-found', detail: 'No resource exists at this path.' },
  { type: apigateway.ResponseType.RESOURCE_NOT_FOUND, kind: 'not-found' },
  { type: apigateway.ResponseType.REQUEST_TOO_LARGE, kind: 'payload-too-large' },
  { type: apigateway.ResponseType.UNSUPPORTED_MEDIA_TYPE, kind: 'unsupported-media-type' },
  { type: apigateway.ResponseType.THROTTLED, kind: 'too-many-requests', headers: { 'Retry-After': "'1'" } },
  { type: apigateway.ResponseType.QUOTA_EXCEEDED, kind: 'quota-exceeded' },
  // Lambda refused the invocation (throttled) or the function failed: API Gateway sends both through
  // this response (Lambda developer guide, "Handling Lambda errors with an API Gateway API"). Either
  // is brief from the caller's side, so it is told to retry.
  {
    type: apigateway.ResponseType.INTEGRATION_FAILURE,
    kind: 'service-unavailable',
    detail: 'The server could not complete the request; retry later.',
    headers: { 'Retry-After': "'1'" },
  },
  { type: apigateway.ResponseType.INTEGRATION_TIMEOUT, kind: 'gateway-timeout', detail: 'The server did not answer in time.' },
];

/** A VTL template producing an RFC 9457 problem; `detailExpr` is already a JSON value. */
function problemTemplate(kind: ProblemKind, detailExpr: string): string {
  const { title, status } = PROBLEM_KINDS[kind];
  return `{"type":"${PROBLEM_BASE}${kind}","title":"${title}","status":${status},"detail":${detailExpr},"instance":"$context.path"}`;
}

/**
 * The `Access-Control-Allow-Origin` of answers the gateway and the WAF give by themselves (401, 403,
 * 429, 4XX, 5XX), which can only carry a fixed value: the one allowed origin, or `*` when several
 * are allowed. `*` lets any page read these problem bodies, which carry no task data; no cookie is
 * involved (callers send a key or a token in a header), and every answer of a function, where the
 * data is, names only an allowed origin. Without CORS: none.
 */
export function errorCorsOrigin(origins: readonly string[] | undefined): string | undefined {
  if (!origins?.length) return undefined;
  return origins.length === 1 ? origins[0] : '*';
}

/** Headers a browser may read on an error answer: how long to wait after a 429 or a 503. */
export const ERROR_EXPOSE_HEADERS = 'Retry-After';

/** Every gateway response as problem+json; with `corsOrigin` (see {@link errorCorsOrigin}), readable by browsers too. */
export function addProblemResponses(api: apigateway.RestApi, corsOrigin: string | undefined): void {
  for (const problem of GATEWAY_PROBLEMS) {
    const detail = problem.detail ? JSON.stringify(problem.detail) : '$context.error.messageString';
    api.addGatewayResponse(`Problem${problem.type.responseType}`, {
      type: problem.type,
      statusCode: String(PROBLEM_KINDS[problem.kind].status),
      responseHeaders: {
        'Content-Type': PROBLEM_CONTENT_TYPE,
        ...(corsOrigin && {
          'Access-Control-Allow-Origin': `'${corsOrigin}'`,
          'Access-Control-Expose-Headers': `'${ERROR_EXPOSE_HEADERS}'`,
        }),
        ...problem.headers,
      },
      templates: { 'application/json': problemTemplate(problem.kind, detail) },
    });
  }
}

/** `ANY` answering 405 with `Allow`; API Gateway prefers the explicit methods over `ANY`. */
export function addMethodNotAllowed(resource: apigateway.IResource, allow: string): void {
  const body = problemTemplate('method-not-allowed', `"The method $context.httpMethod is not allowed on this resource. Allowed: ${allow}."`);
  resource.addMethod(
    'ANY',
    new apigateway.MockIntegration({
      passthroughBehavior: apigateway.PassthroughBehavior.WHEN_NO_MATCH,
      requestTemplates: { 'application/json': '{"statusCode": 405}' },
      integrationResponses: [
        {
          statusCode: '405',
          responseParameters: {
            'method.response.header.Allow': `'${allow}'`,
            'method.response.header.Content-Type': PROBLEM_CONTENT_TYPE,
          },
          responseTemplates: { 'application/json': body },
        },
      ],
    }),
    {
      apiKeyRequired: false,
      methodResponses: [
        {
          statusCode: '405',
          responseParameters: { 'method.response.header.Allow': true, 'method.response.header.Content-Type': true },
        },
      ],
    },
  );
}
