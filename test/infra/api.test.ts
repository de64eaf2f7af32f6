import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ROUTES, STAGE_NAME } from '../../lambdas/api/routes.ts';
import { aliasId, apiMethods, buildStack, cfnText, functionId } from './fixture.ts';

const { template } = buildStack();
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;

function methodsAt(path: string): Array<Record<string, any>> {
  return apiMethods(template).filter((m) => m.path === path);
}

describe('REST API', () => {
  it('has the v1 stage with throttling, tracing, metrics and JSON access logs without bodies', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: STAGE_NAME,
      TracingEnabled: true,
      MethodSettings: [
        Match.objectLike({
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
          MetricsEnabled: true,
          DataTraceEnabled: false,
          LoggingLevel: 'ERROR',
        }),
      ],
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"status"') },
    });
    const format = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0]!.Properties.AccessLogSetting.Format;
    expect(format).not.toMatch(/requestBody|responseBody|\$input/);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'HEADER' });
  });

  it.each(ROUTES.map((r) => [r.method, r.path, r]))("%s %s has a Lambda proxy method on its function's live alias", (method, path, route) => {
    const liveId = aliasId(template, route.handler);
    const method_ = methodsAt(path).find((m) => m.HttpMethod === method);
    expect(method_).toBeDefined();
    expect(method_!.ApiKeyRequired).toBe(route.authenticated);
    expect(method_!.Integration.Type).toBe('AWS_PROXY');
    expect(cfnText(method_!.Integration.Uri)).toContain(`/functions/<${liveId}>/`);
  });

  it('streams GET /tasks/{id}/events (responseTransferMode STREAM, 15 min integration timeout); every other route is buffered', () => {
    const events = methodsAt('/tasks/{id}/events').find((m) => m.HttpMethod === 'GET')!;
    expect(events.Integration).toMatchObject({ Type: 'AWS_PROXY', ResponseTransferMode: 'STREAM', TimeoutInMillis: 900_000 });
    expect(cfnText(events.Integration.Uri)).toContain('/response-streaming-invocations');
    expect(events.ApiKeyRequired).toBe(true);
    const buffered = apiMethods(template).filter((m) => m.Integration.Type === 'AWS_PROXY' && m.path !== '/tasks/{id}/events');
    expect(buffered.length).toBe(ROUTES.length - 1);
    for (const m of buffered) {
      expect(m.Integration.ResponseTransferMode ?? 'BUFFERED').toBe('BUFFERED');
      expect(cfnText(m.Integration.Uri)).toContain('/invocations');
      expect(cfnText(m.Integration.Uri)).not.toContain('response-streaming');
    }
  });

  it.each([...new Set(ROUTES.map((r) => r.path))])('%s answers other methods with a 405 problem listing Allow', (path) => {
    const allowed = ROUTES.filter((r) => r.path === path).map((r) => r.method);
    const any = methodsAt(path).find((m) => m.HttpMethod === 'ANY');
    expect(any).toBeDefined();
    expect(any!.ApiKeyRequired).toBe(false);
    expect(any!.Integration.Type).toBe('MOCK');
    const response = any!.Integration.IntegrationResponses[0];
    expect(response.StatusCode).toBe('405');
    expect(response.ResponseParameters['method.response.header.Allow']).toBe(`'${allowed.join(', ')}'`);
    expect(response.ResponseParameters['method.response.header.Content-Type']).toBe("'application/problem+json'");
    const body = response.ResponseTemplates['application/json'] as string;
    expect(body).toContain('"type":"https://longrun.dev/problems/method-not-allowed"');
    expect(body).toContain('"status":405');
    expect(body).toContain('"instance":"$context.path"');
    expect(any!.MethodResponses).toEqual([expect.objectContaining({ StatusCode: '405' })]);
  });

  it('has no unexpected methods (no OPTIONS without CORS)', () => {
    const count = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGateway::Method').length;
    expect(count).toBe(ROUTES.length + new Set(ROUTES.map((r) => r.path)).size);
  });

  it.each([
    ['DEFAULT_4XX', '400', 'bad-request'],
    ['DEFAULT_5XX', '500', 'internal-error'],
    ['INVALID_API_KEY', '401', 'unauthorized'],
    ['ACCESS_DENIED', '403', 'forbidden'],
    ['MISSING_AUTHENTICATION_TOKEN', '404', 'not-found'],
    ['REQUEST_TOO_LARGE', '413', 'payload-too-large'],
    ['THROTTLED', '429', 'too-many-requests'],
    ['QUOTA_EXCEEDED', '429', 'quota-exceeded'],
  ])('gateway response %s is a %s application/problem+json', (type, status, kind) => {
    const found = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse', { Properties: { ResponseType: type } }));
    expect(found).toHaveLength(1);
    const props = found[0]!.Properties;
    expect(props.StatusCode).toBe(status);
    expect(props.ResponseParameters['gatewayresponse.header.Content-Type']).toBe("'application/problem+json'");
    const body = props.ResponseTemplates['application/json'] as string;
    expect(body).toContain(`"type":"https://longrun.dev/problems/${kind}"`);
    expect(body).toContain(`"status":${status}`);
    expect(body).toContain('"instance":"$context.path"');
    expect(body).toMatch(/"detail":/);
  });

  it('never echoes AWS error text in a 5xx', () => {
    const found = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse', { Properties: { ResponseType: 'DEFAULT_5XX' } }));
    expect(found[0]!.Properties.ResponseTemplates['application/json']).not.toContain('$context.error');
  });

  it('issues one API key and usage plan per consumer, bound to the stage', () => {
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
    // The one default consumer gets half the stage (50/100): the stage keeps a share no consumer can take.
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      ApiStages: [Match.objectLike({ Stage: Match.anyValue() })],
      Throttle: { RateLimit: 25, BurstLimit: 50 },
    });
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);

    const custom = buildStack({
      api: { consumers: [{ name: 'alpha', rateLimit: 5, burstLimit: 10, quotaPerDay: 1000 }, { name: 'beta' }] },
    }).template;
    custom.resourceCountIs('AWS::ApiGateway::ApiKey', 2);
    custom.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 5, BurstLimit: 10 },
      Quota: { Limit: 1000, Period: 'DAY' },
    });
    // beta's share of the stage: 50/3 per second, 100/3 burst.
    custom.hasResourceProperties('AWS::ApiGateway::UsagePlan', { Throttle: { RateLimit: 16.66, BurstLimit: 33 } });
  });

  it("consumers' keys: several per consumer, each in the consumer's plan; every route function maps key ids to consumers", () => {
    const { stack, template: t } = buildStack({ api: { consumers: [{ name: 'alpha', keys: ['primary', 'next'] }, { name: 'beta' }] } });
    t.resourceCountIs('AWS::ApiGateway::ApiKey', 3);
    t.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 3);
    expect(Object.keys(stack.api.apiKeys).sort()).toEqual(['alpha', 'alpha/next', 'beta']);
    const keyIds = Object.fromEntries(Object.entries(stack.api.apiKeys).map(([name, key]) => [name, stack.resolve(key.keyId)]));
    for (const route of ROUTES) {
      const env = t.toJSON().Resources[functionId(t, route.handler)].Properties.Environment.Variables;
      const mapping = JSON.stringify(stack.resolve(env.API_KEY_CONSUMERS));
      for (const [name, id] of Object.entries(keyIds)) {
        expect(mapping, route.handler).toContain(JSON.stringify(id));
        expect(mapping).toContain(name.split('/')[0]!);
      }
    }
  });

  it("refuses consumers whose rates add up to the stage's or more, naming the totals", () => {
    expect(() =>
      buildStack({
        api: {
          throttle: { rateLimit: 10, burstLimit: 20 },
          consumers: [
            { name: 'a', rateLimit: 6 },
            { name: 'b', rateLimit: 4 },
          ],
        },
      }),
    ).toThrow(/rateLimits add up to 10 requests\/s, not less than the stage's throttle.rateLimit \(10\)/);
    expect(() => buildStack({ api: { consumers: [{ name: 'a', keys: [] }] } })).toThrow(/at least one key/);
    expect(() => buildStack({ api: { consumers: [{ name: 'a', keys: ['x', 'X'] }] } })).toThrow(/names a key twice/);
  });

  it('creates no keys or plans for an empty consumer list (keys managed outside), yet still requires a key', () => {
    const external = buildStack({ api: { consumers: [] } }).template;
    external.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
    external.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
    external.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', ApiKeyRequired: true });
  });

  it('protects the stage with a regional WAF web ACL by default', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      Rules: Match.arrayWith([
        // The rules themselves: test/infra/firewall.test.ts.
        Match.objectLike({ Name: 'RateLimitPerCaller' }),
        Match.objectLike({ Name: 'AWSManagedRulesCommonRuleSet' }),
        Match.objectLike({ Name: 'AWSManagedRulesKnownBadInputsRuleSet' }),
      ]),
    });
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    const noWaf = buildStack({ api: { waf: false } }).template;
    noWaf.resourceCountIs('AWS::WAFv2::WebACL', 0);
    noWaf.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
  });

  it('adds CORS preflight and CORS_ALLOW_ORIGINS only when origins are given', () => {
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.Environment.Variables).not.toHaveProperty('CORS_ALLOW_ORIGINS');
    }
    const cors = buildStack({ api: { corsAllowOrigins: ['https://a.example', 'https://b.example'] } }).template;
    const options = Object.values(cors.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }));
    expect(options.length).toBeGreaterThan(0);
    const preflight = JSON.stringify(options[0]!.Properties.Integration.IntegrationResponses);
    expect(preflight).toContain('Content-Type,Idempotency-Key,If-None-Match,Prefer,Last-Event-ID,X-Api-Key,Authorization');
    expect(preflight).toContain('Location,Retry-After,ETag,Operation-Location,Preference-Applied');
    const routes = new Set(ROUTES.map((r) => r.handler));
    const http = Object.values(cors.findResources('AWS::Lambda::Function')).filter((f) => routes.has(f.Metadata?.['Longrun:Function']));
    expect(http).toHaveLength(routes.size);
    for (const fn of http) {
      expect(fn.Properties.Environment.Variables.CORS_ALLOW_ORIGINS).toBe('https://a.example,https://b.example');
    }
  });
});
