/** The local API Gateway front, over real HTTP, on a hand-written API definition. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessLambda } from '../../src/functions/in-process-lambda.ts';
import type { LocalLambda } from '../../src/functions/local-lambda.ts';
import { TooManyRequestsError } from '../../src/functions/reserved-concurrency.ts';
import { apiKeyId, type HttpFront, MAX_BODY_BYTES, startHttpFront } from '../../src/http-front.ts';
import { type CfnTemplate, localValues } from '../../src/template.ts';
import { findApi } from '../../src/template-resources.ts';

const problem = (status: number, title: string, detail: string) =>
  `{"title":"${title}","status":${status},"detail":${detail},"instance":"$context.path"}`;

const template: CfnTemplate = {
  Resources: {
    EchoFn: { Type: 'AWS::Lambda::Function', Properties: {} },
    BoomFn: { Type: 'AWS::Lambda::Function', Properties: {} },
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: {} },
    Items: {
      Type: 'AWS::ApiGateway::Resource',
      Properties: { ParentId: { 'Fn::GetAtt': ['Api', 'RootResourceId'] }, PathPart: 'items', RestApiId: { Ref: 'Api' } },
    },
    Item: { Type: 'AWS::ApiGateway::Resource', Properties: { ParentId: { Ref: 'Items' }, PathPart: '{id}', RestApiId: { Ref: 'Api' } } },
    Boom: { Type: 'AWS::ApiGateway::Resource', Properties: { ParentId: { Ref: 'Items' }, PathPart: 'boom', RestApiId: { Ref: 'Api' } } },
    ItemsPost: {
      Type: 'AWS::ApiGateway::Method',
      Properties: {
        RestApiId: { Ref: 'Api' },
        ResourceId: { Ref: 'Items' },
        HttpMethod: 'POST',
        ApiKeyRequired: true,
        Integration: {
          Type: 'AWS_PROXY',
          Uri: { 'Fn::Join': ['', ['arn:aws:apigateway:us-east-1:lambda:path/functions/', { 'Fn::GetAtt': ['EchoFn', 'Arn'] }, '/invocations']] },
        },
      },
    },
    ItemGet: {
      Type: 'AWS::ApiGateway::Method',
      Properties: {
        RestApiId: { Ref: 'Api' },
        ResourceId: { Ref: 'Item' },
        HttpMethod: 'GET',
        ApiKeyRequired: true,
        Integration: {
          Type: 'AWS_PROXY',
          Uri: { 'Fn::Join': ['', ['arn:aws:apigateway:us-east-1:lambda:path/functions/', { 'Fn::GetAtt': ['EchoFn', 'Arn'] }, '/invocations']] },
        },
      },
    },
    ItemAny: {
      Type: 'AWS::ApiGateway::Method',
      Properties: {
        RestApiId: { Ref: 'Api' },
        ResourceId: { Ref: 'Item' },
        HttpMethod: 'ANY',
        ApiKeyRequired: false,
        Integration: {
          Type: 'MOCK',
          RequestTemplates: { 'application/json': '{"statusCode": 405}' },
          IntegrationResponses: [
            {
              StatusCode: '405',
              ResponseParameters: { 'method.response.header.Allow': "'GET'", 'method.response.header.Content-Type': "'application/problem+json'" },
              ResponseTemplates: {
                'application/json': '{"status":405,"detail":"The method $context.httpMethod is not allowed.","instance":"$context.path"}',
              },
            },
          ],
        },
      },
    },
    BoomGet: {
      Type: 'AWS::ApiGateway::Method',
      Properties: {
        RestApiId: { Ref: 'Api' },
        ResourceId: { Ref: 'Boom' },
        HttpMethod: 'GET',
        ApiKeyRequired: false,
        Integration: { Type: 'AWS_PROXY', Uri: { 'Fn::Join': ['', ['x/', { 'Fn::GetAtt': ['BoomFn', 'Arn'] }, '/invocations']] } },
      },
    },
    GrKey: {
      Type: 'AWS::ApiGateway::GatewayResponse',
      Properties: {
        RestApiId: { Ref: 'Api' },
        ResponseType: 'INVALID_API_KEY',
        StatusCode: '403',
        ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/problem+json'" },
        ResponseTemplates: { 'application/json': problem(403, 'Forbidden', '"A valid API key is required."') },
      },
    },
    GrMissing: {
      Type: 'AWS::ApiGateway::GatewayResponse',
      Properties: {
        RestApiId: { Ref: 'Api' },
        ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
        StatusCode: '404',
        ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/problem+json'" },
        ResponseTemplates: { 'application/json': problem(404, 'Not Found', '"No resource exists at this path."') },
      },
    },
    Gr4xx: {
      Type: 'AWS::ApiGateway::GatewayResponse',
      Properties: {
        RestApiId: { Ref: 'Api' },
        ResponseType: 'DEFAULT_4XX',
        ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/problem+json'" },
        ResponseTemplates: { 'application/json': problem(400, 'Bad Request', '$context.error.messageString') },
      },
    },
    Gr5xx: {
      Type: 'AWS::ApiGateway::GatewayResponse',
      Properties: {
        RestApiId: { Ref: 'Api' },
        ResponseType: 'DEFAULT_5XX',
        ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/problem+json'" },
        ResponseTemplates: { 'application/json': problem(500, 'Internal Server Error', '"The server could not complete the request."') },
      },
    },
    Stage: { Type: 'AWS::ApiGateway::Stage', Properties: { RestApiId: { Ref: 'Api' }, StageName: 'v1' } },
  },
};

const KEY = 'secret-key-1';
const events: any[] = [];
let boomMode: 'throw' | 'malformed' | 'throttled' = 'throw';
const fns: Record<string, LocalLambda> = {
  EchoFn: inProcessLambda({
    functionName: 'EchoFn',
    handler: async (event: any) => {
      events.push(event);
      return {
        statusCode: 201,
        headers: { 'X-Single': 'one', 'content-type': 'application/json' },
        multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
        body: JSON.stringify({ ok: true }),
      };
    },
  }),
  BoomFn: inProcessLambda({
    functionName: 'BoomFn',
    handler: async () => {
      if (boomMode === 'throw') throw new Error('internal detail that must not leak');
      if (boomMode === 'throttled') throw new TooManyRequestsError('BoomFn');
      return { nope: true };
    },
  }),
};

let front: HttpFront;
const logs: string[] = [];

beforeAll(async () => {
  front = await startHttpFront({
    api: findApi(template, localValues(template)),
    apiKeys: [KEY],
    resolveFunction: (id) => fns[id],
    log: (l) => logs.push(l),
  });
});
afterAll(async () => front?.close());

describe('local API Gateway front', () => {
  it('builds the REST proxy event AWS would send and writes the proxy response', async () => {
    const res = await fetch(`${front.baseUrl}/items/a%20b?x=1&x=2&y=3`, { headers: { 'x-api-key': KEY, 'X-Custom': 'c' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-single')).toBe('one');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await res.json()).toEqual({ ok: true });
    const e = events.at(-1);
    expect(e).toMatchObject({
      resource: '/items/{id}',
      path: '/items/a%20b'.replace('%20', '%20'),
      httpMethod: 'GET',
      queryStringParameters: { x: '2', y: '3' },
      multiValueQueryStringParameters: { x: ['1', '2'], y: ['3'] },
      pathParameters: { id: 'a b' },
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: {
        stage: 'v1',
        resourcePath: '/items/{id}',
        httpMethod: 'GET',
        path: '/v1/items/a%20b',
        accountId: '000000000000',
        identity: { apiKey: KEY, apiKeyId: apiKeyId(KEY), sourceIp: '127.0.0.1' },
      },
    });
    expect(e.headers['X-Custom']).toBe('c');
    expect(e.multiValueHeaders['X-Custom']).toEqual(['c']);
    expect(e.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof e.requestContext.requestTimeEpoch).toBe('number');
    expect(apiKeyId(KEY)).toMatch(/^key-[0-9a-f]{16}$/);
    expect(apiKeyId(KEY)).not.toContain(KEY);
  });

  it('passes the body as a string, null query parameters when there are none', async () => {
    const res = await fetch(`${front.baseUrl}/items`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(res.status).toBe(201);
    const e = events.at(-1);
    expect(e).toMatchObject({
      resource: '/items',
      path: '/items',
      body: '{"a":1}',
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
    });
  });

  it('answers a missing or wrong API key with the INVALID_API_KEY gateway response', async () => {
    for (const headers of [{}, { 'x-api-key': 'wrong' }] as Record<string, string>[]) {
      const res = await fetch(`${front.baseUrl}/items/1`, { headers });
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await res.json()).toEqual({ title: 'Forbidden', status: 403, detail: 'A valid API key is required.', instance: '/v1/items/1' });
    }
  });

  it('answers unknown paths (and other stages) with MISSING_AUTHENTICATION_TOKEN, 404 here', async () => {
    for (const path of ['/v1/nope', '/v1/items/1/2', '/v2/items', '/']) {
      const res = await fetch(`${front.baseUrl.replace('/v1', '')}${path}`, { headers: { 'x-api-key': KEY } });
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { instance: string }).instance).toBe(path);
    }
  });

  it('answers a wrong method with the ANY MOCK integration: 405 and Allow', async () => {
    const res = await fetch(`${front.baseUrl}/items/1`, { method: 'PATCH', body: '{}' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toEqual({ status: 405, detail: 'The method PATCH is not allowed.', instance: '/v1/items/1' });
    // no ANY method on /items: like API Gateway, a missing method is "Missing Authentication Token"
    expect((await fetch(`${front.baseUrl}/items`, { method: 'DELETE' })).status).toBe(404);
  });

  it('answers a body over 10 MiB with 413 (DEFAULT_4XX template, its message substituted)', async () => {
    const res = await fetch(`${front.baseUrl}/items`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: 'a'.repeat(MAX_BODY_BYTES + 1),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ title: 'Bad Request', status: 400, detail: 'Request Too Long', instance: '/v1/items' });
  });

  it('never crashes on a handler exception or a malformed proxy response: 502 problem, logged, no leak', async () => {
    for (const mode of ['throw', 'malformed'] as const) {
      boomMode = mode;
      const res = await fetch(`${front.baseUrl}/items/boom`);
      expect(res.status).toBe(502);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const text = await res.text();
      expect(text).not.toContain('internal detail');
      expect(JSON.parse(text).instance).toBe('/v1/items/boom');
    }
    expect(logs.some((l) => l.includes('internal detail that must not leak'))).toBe(true);
    expect(logs.some((l) => l.includes('malformed Lambda proxy response'))).toBe(true);
    expect((await fetch(`${front.baseUrl}/items/1`, { headers: { 'x-api-key': KEY } })).status).toBe(201);
  });

  it('a throttled invocation (Lambda refused it) is a 500, as the Lambda developer guide says of API Gateway', async () => {
    boomMode = 'throttled';
    const res = await fetch(`${front.baseUrl}/items/boom`);
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ status: 500, detail: 'The server could not complete the request.' });
    expect(logs.some((l) => l.includes('BoomFn throttled'))).toBe(true);
    boomMode = 'throw';
  });

  it("with the API's own INTEGRATION_FAILURE response, a throttled or failed function answers with it (status, headers, body)", async () => {
    const withOwn: CfnTemplate = {
      Resources: {
        ...template.Resources,
        GrIntegration: {
          Type: 'AWS::ApiGateway::GatewayResponse',
          Properties: {
            RestApiId: { Ref: 'Api' },
            ResponseType: 'INTEGRATION_FAILURE',
            StatusCode: '503',
            ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/problem+json'", 'gatewayresponse.header.Retry-After': "'1'" },
            ResponseTemplates: { 'application/json': problem(503, 'Service Unavailable', '"Retry later."') },
          },
        },
      },
    };
    const own = await startHttpFront({
      api: findApi(withOwn, localValues(withOwn)),
      apiKeys: [KEY],
      resolveFunction: (id) => fns[id],
      log: () => {},
    });
    try {
      for (const mode of ['throttled', 'throw'] as const) {
        boomMode = mode;
        const res = await fetch(`${own.baseUrl}/items/boom`);
        expect(res.status, mode).toBe(503);
        expect(res.headers.get('retry-after')).toBe('1');
        expect(await res.json()).toMatchObject({ status: 503, title: 'Service Unavailable' });
      }
    } finally {
      boomMode = 'throw';
      await own.close();
    }
  });
});
