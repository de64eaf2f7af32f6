/**
 * The local WebSocket front's reading of a template (a hand-written one, as API Gateway v2 resources
 * are synthesized) and how it rewrites the template's execute-api URLs to itself; a template
 * without a WebSocket API has none.
 */
import { describe, expect, it } from 'vitest';
import { type CfnTemplate, localValues } from '../../src/template.ts';
import { findWebSocketApi, WebSocketFront } from '../../src/websocket-front.ts';

const lambdaUri = (fn: string) => ({
  'Fn::Join': ['', ['arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/', { 'Fn::GetAtt': [fn, 'Arn'] }, '/invocations']],
});
const fn = { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs22.x' } };
const integration = (name: string) => ({
  Type: 'AWS::ApiGatewayV2::Integration',
  Properties: { ApiId: { Ref: 'Ws' }, IntegrationType: 'AWS_PROXY', IntegrationUri: lambdaUri(name) },
});
const route = (key: string, target: string) => ({
  Type: 'AWS::ApiGatewayV2::Route',
  Properties: { ApiId: { Ref: 'Ws' }, RouteKey: key, Target: { 'Fn::Join': ['', ['integrations/', { Ref: target }]] } },
});

const template: CfnTemplate = {
  Resources: {
    Ws: { Type: 'AWS::ApiGatewayV2::Api', Properties: { ProtocolType: 'WEBSOCKET', RouteSelectionExpression: '$request.body.action' } },
    ConnectFn: fn,
    SubscribeFn: fn,
    ConnectIntegration: integration('ConnectFn'),
    SubscribeIntegration: integration('SubscribeFn'),
    ConnectRoute: route('$connect', 'ConnectIntegration'),
    SubscribeRoute: route('subscribe', 'SubscribeIntegration'),
    SubscribeResponse: {
      Type: 'AWS::ApiGatewayV2::RouteResponse',
      Properties: { ApiId: { Ref: 'Ws' }, RouteId: { Ref: 'SubscribeRoute' }, RouteResponseKey: '$default' },
    },
    Stage: { Type: 'AWS::ApiGatewayV2::Stage', Properties: { ApiId: { Ref: 'Ws' }, StageName: 'v1', AutoDeploy: true } },
    // An HTTP API is not served by the WebSocket front.
    Http: { Type: 'AWS::ApiGatewayV2::Api', Properties: { ProtocolType: 'HTTP' } },
  },
};

describe('findWebSocketApi', () => {
  it('reads the routes, their functions, which answer, the stage and the selection expression', () => {
    const api = findWebSocketApi(template, localValues(template));
    expect(api).toEqual({
      logicalId: 'Ws',
      apiId: 'Ws',
      stageName: 'v1',
      routeSelectionExpression: '$request.body.action',
      routes: [
        { routeKey: '$connect', functionLogicalId: 'ConnectFn', returnResponse: false },
        { routeKey: 'subscribe', functionLogicalId: 'SubscribeFn', returnResponse: true },
      ],
    });
  });

  it('finds none in a template without one, and refuses a route it cannot run', () => {
    expect(findWebSocketApi({ Resources: { Http: template.Resources.Http! } }, localValues(template))).toBeUndefined();
    const mock = {
      ...template,
      Resources: {
        ...template.Resources,
        ConnectIntegration: { ...integration('ConnectFn'), Properties: { ApiId: { Ref: 'Ws' }, IntegrationType: 'MOCK' } },
      },
    };
    expect(() => findWebSocketApi(mock, localValues(mock))).toThrow(/only Lambda proxy integrations/);
  });
});

describe('WebSocketFront', () => {
  it('serves the stage and rewrites the template’s wss:// and https:// URLs of this API (only) to itself', async () => {
    const api = findWebSocketApi(template, localValues(template))!;
    const front = await new WebSocketFront({ api, resolveFunction: () => ({}) as never }).start();
    try {
      expect(front.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/v1$/);
      expect(front.localize('wss://Ws.execute-api.us-east-1.amazonaws.com/v1')).toBe(front.url);
      expect(front.localize('https://Ws.execute-api.us-east-1.amazonaws.com/v1')).toBe(front.callbackUrl);
      expect(front.localize('https://Other.execute-api.us-east-1.amazonaws.com/v1')).toBe('https://Other.execute-api.us-east-1.amazonaws.com/v1');
      expect(front.localize('TABLE')).toBe('TABLE');
      // The management API: an unknown connection is gone (as API Gateway answers, so the SDK throws GoneException).
      const gone = await fetch(`${front.callbackUrl}/@connections/${encodeURIComponent('nobody=')}`, { method: 'POST', body: '{}' });
      expect(gone.status).toBe(410);
      expect(gone.headers.get('x-amzn-errortype')).toBe('GoneException');
    } finally {
      await front.close();
    }
  });
});
