/**
 * The local front's response streaming (an integration with ResponseTransferMode STREAM runs an
 * `awslambda.streamifyResponse` handler and writes its prelude and body as they come), the fields
 * links are built from, and the local-only pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installAwsLambdaGlobal } from '../../src/functions/awslambda-global.ts';
import { inProcessLambda } from '../../src/functions/in-process-lambda.ts';
import type { LocalLambda } from '../../src/functions/local-lambda.ts';
import { type HttpFront, startHttpFront } from '../../src/http-front.ts';
import { type CfnTemplate, localValues } from '../../src/template.ts';
import { findApi } from '../../src/template-resources.ts';

installAwsLambdaGlobal();

const streamingMethod = (resource: string, fn: string) => ({
  Type: 'AWS::ApiGateway::Method',
  Properties: {
    RestApiId: { Ref: 'Api' },
    ResourceId: { Ref: resource },
    HttpMethod: 'GET',
    ApiKeyRequired: false,
    Integration: {
      Type: 'AWS_PROXY',
      ResponseTransferMode: 'STREAM',
      Uri: {
        'Fn::Join': [
          '',
          ['arn:aws:apigateway:us-east-1:lambda:path/2021-11-15/functions/', { 'Fn::GetAtt': [fn, 'Arn'] }, '/response-streaming-invocations'],
        ],
      },
    },
  },
});

const template: CfnTemplate = {
  Resources: {
    TickFn: { Type: 'AWS::Lambda::Function', Properties: {} },
    PlainFn: { Type: 'AWS::Lambda::Function', Properties: {} },
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: {} },
    Ticks: {
      Type: 'AWS::ApiGateway::Resource',
      Properties: { ParentId: { 'Fn::GetAtt': ['Api', 'RootResourceId'] }, PathPart: 'ticks', RestApiId: { Ref: 'Api' } },
    },
    Plain: {
      Type: 'AWS::ApiGateway::Resource',
      Properties: { ParentId: { 'Fn::GetAtt': ['Api', 'RootResourceId'] }, PathPart: 'plain', RestApiId: { Ref: 'Api' } },
    },
    TicksGet: streamingMethod('Ticks', 'TickFn'),
    PlainGet: streamingMethod('Plain', 'PlainFn'),
    Stage: { Type: 'AWS::ApiGateway::Stage', Properties: { RestApiId: { Ref: 'Api' }, StageName: 'v1' } },
  },
};

const events: any[] = [];
let closedByClient = false;
let lastWriteAt = 0;
const tick = awslambda.streamifyResponse(async (event, responseStream) => {
  events.push(event);
  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, headers: { 'Content-Type': 'text/event-stream' } });
  responseStream.on('close', () => (closedByClient = !responseStream.writableFinished));
  for (let i = 1; i <= 3; i++) {
    stream.write(`id: ${i}\ndata: ${i}\n\n`);
    lastWriteAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  if ((event as { queryStringParameters?: { forever?: string } }).queryStringParameters?.forever) {
    while (!responseStream.destroyed) await new Promise((resolve) => setTimeout(resolve, 50));
    return;
  }
  stream.end();
});

const fns: Record<string, LocalLambda> = {
  TickFn: inProcessLambda({ functionName: 'TickFn', timeoutSeconds: 30, handler: tick as never }),
  PlainFn: inProcessLambda({ functionName: 'PlainFn', handler: async () => ({ statusCode: 200, body: 'x' }) }),
};

let front: HttpFront;
beforeAll(async () => {
  front = await startHttpFront({
    api: findApi(template, localValues(template)),
    apiKeys: [],
    resolveFunction: (id) => fns[id],
    log: () => {},
    pages: { '/v1/demo.html': { contentType: 'text/html; charset=utf-8', body: Buffer.from('<p>demo</p>') } },
  });
});
afterAll(async () => front?.close());

describe('local front: response streaming', () => {
  it('writes the prelude as status and headers, then each chunk as it is written', async () => {
    const res = await fetch(`${front.baseUrl}/ticks`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const first = await reader.read();
    const firstAt = Date.now();
    expect(first.value).toBe('id: 1\ndata: 1\n\n');
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += r.value;
    expect(rest).toBe('id: 2\ndata: 2\n\nid: 3\ndata: 3\n\n');
    // Streamed, not buffered: the first chunk arrived before the handler wrote the last one.
    expect(firstAt).toBeLessThan(lastWriteAt);
  });

  it('gives the handler the fields its absolute URLs come from, as API Gateway does', async () => {
    await (await fetch(`${front.baseUrl}/ticks`)).text();
    const event = events.at(-1);
    expect(event.requestContext).toMatchObject({ domainName: `127.0.0.1:${front.port}`, stage: 'v1', path: '/v1/ticks', resourcePath: '/ticks' });
    expect(event.resource).toBe('/ticks');
    expect(event.path).toBe('/ticks');
    expect(event.headers['X-Forwarded-Proto']).toBe('http');
  });

  it("a client that goes away destroys the handler's stream", async () => {
    closedByClient = false;
    const controller = new AbortController();
    const res = await fetch(`${front.baseUrl}/ticks?forever=1`, { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    for (let i = 0; i < 100 && !closedByClient; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closedByClient).toBe(true);
  });

  it('a streaming integration whose handler is not streamified is a 502, as on API Gateway', async () => {
    const res = await fetch(`${front.baseUrl}/plain`);
    expect(res.status).toBe(502);
  });

  it('serves local-only pages, and nothing else outside the routes', async () => {
    const page = await fetch(`${front.baseUrl}/demo.html`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toBe('<p>demo</p>');
    expect((await fetch(`${front.baseUrl}/demo.htm`)).status).not.toBe(200);
    expect((await fetch(`${front.baseUrl}/demo.html`, { method: 'POST' })).status).not.toBe(200);
  });
});
