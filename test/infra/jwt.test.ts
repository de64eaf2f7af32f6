import { Duration } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lambdas/api/routes.ts';
import { aliasId, apiMethods, buildStack, cfnText, functionId, grantsOf } from './fixture.ts';

const ISSUER = 'https://issuer.example.com/tenant';
const jwtProps = { api: { auth: { type: 'jwt', issuer: ISSUER, audience: 'longrun-api' } } } as const;
const { app, stack, template } = buildStack(jwtProps);
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;

const methods = apiMethods(template);

describe('auth: jwt', () => {
  const authorizerId = Object.keys(template.findResources('AWS::ApiGateway::Authorizer'))[0]!;
  const fnId = functionId(template, 'jwt-authorizer');

  it("has one TOKEN authorizer on the Authorization header, cached 60 s, backed by the jwt-authorizer function's live alias", () => {
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    const props = resources[authorizerId]!.Properties;
    expect(props.Type).toBe('TOKEN');
    expect(props.IdentitySource).toBe('method.request.header.Authorization');
    expect(props.AuthorizerResultTtlInSeconds).toBe(60);
    expect(cfnText(props.AuthorizerUri)).toContain(`/functions/<${aliasId(template, 'jwt-authorizer')}>/invocations`);
  });

  it('has an identity validation expression: only `Bearer <JWS compact>` invokes the authorizer, junk gets 401 from API Gateway', () => {
    const pattern = new RegExp(resources[authorizerId]!.Properties.IdentityValidationExpression);
    expect(pattern.test('Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln')).toBe(true);
    for (const junk of ['', 'Bearer', 'Bearer x', 'Basic dXNlcjpwYXNz', 'Bearer a.b', 'Bearer a.b.c.d', 'Bearer a.b.c ', 'bearer a.b.c']) {
      expect(pattern.test(junk), junk).toBe(false);
    }
  });

  it('the authorizer function knows the issuer, audience and the default JWKS URI, and has the baseline grants only', () => {
    const env = resources[fnId]!.Properties.Environment.Variables;
    expect(env).toMatchObject({
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: 'longrun-api',
      JWT_JWKS_URI: `${ISSUER}/.well-known/jwks.json`,
      JWT_CLOCK_TOLERANCE_SECONDS: '5',
      JWT_MAX_TOKEN_AGE_SECONDS: '86400',
    });
    expect(env.JWT_TOKEN_TYPES).toBeUndefined();
    const own = grantsOf(template, fnId).filter((g) => !/^(logs|xray):/.test(g.action));
    expect(own).toEqual([]);
  });

  it('cacheTtl and clockTolerance are props (a revoked token stops working within cacheTtl)', () => {
    const { template: t } = buildStack({
      api: { auth: { ...jwtProps.api.auth, cacheTtl: Duration.seconds(0), clockTolerance: Duration.seconds(30) } },
    });
    const authorizer = Object.values(t.findResources('AWS::ApiGateway::Authorizer'))[0]!;
    expect(authorizer.Properties.AuthorizerResultTtlInSeconds).toBe(0);
    const id = functionId(t, 'jwt-authorizer');
    expect(t.toJSON().Resources[id].Properties.Environment.Variables.JWT_CLOCK_TOLERANCE_SECONDS).toBe('30');
  });

  it('maxTokenAge and tokenTypes are props', () => {
    const { template: t } = buildStack({ api: { auth: { ...jwtProps.api.auth, maxTokenAge: Duration.hours(1), tokenTypes: ['at+jwt'] } } });
    const env = t.toJSON().Resources[functionId(t, 'jwt-authorizer')].Properties.Environment.Variables;
    expect(env).toMatchObject({ JWT_MAX_TOKEN_AGE_SECONDS: '3600', JWT_TOKEN_TYPES: 'at+jwt' });
  });

  it.each([
    [{ cacheTtl: Duration.seconds(301) }, /auth.cacheTtl must be a whole number of seconds from 0 to 300 \(got 5 minutes 1 second\)/],
    [{ cacheTtl: Duration.hours(1) }, /auth.cacheTtl must be .* from 0 to 300/],
    [{ clockTolerance: Duration.seconds(61) }, /auth.clockTolerance must be a whole number of seconds from 0 to 60/],
    [{ clockTolerance: Duration.millis(1500) }, /auth.clockTolerance must be a whole number of seconds/],
    [{ maxTokenAge: Duration.days(31) }, /auth.maxTokenAge must be a whole number of seconds/],
    [{ maxTokenAge: Duration.seconds(0) }, /auth.maxTokenAge must be at least 1 second/],
    [{ tokenTypes: [] }, /auth.tokenTypes must list at least one media type/],
  ])('refuses %o', (extra, message) => {
    expect(() => buildStack({ api: { auth: { ...jwtProps.api.auth, ...extra } } })).toThrow(message);
  });

  it('a given jwksUri is used as is', () => {
    const { template: t } = buildStack({ api: { auth: { ...jwtProps.api.auth, jwksUri: 'https://keys.example.com/jwks' } } });
    const id = functionId(t, 'jwt-authorizer');
    expect(t.toJSON().Resources[id].Properties.Environment.Variables.JWT_JWKS_URI).toBe('https://keys.example.com/jwks');
  });

  it.each(ROUTES.filter((r) => r.authenticated).map((r) => [r.method, r.path]))('%s %s uses the authorizer (CUSTOM)', (method, path) => {
    const m = methods.find((x) => x.path === path && x.HttpMethod === method)!;
    expect(m.AuthorizationType).toBe('CUSTOM');
    expect(m.AuthorizerId).toEqual({ Ref: authorizerId });
    expect(m.ApiKeyRequired).toBe(false);
  });

  it('no method requires an API key, and there are no keys or usage plans', () => {
    expect(methods.length).toBeGreaterThan(ROUTES.length);
    for (const m of methods) expect(m.ApiKeyRequired ?? false).toBe(false);
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
    expect(stack.api.apiKeys).toEqual({});
  });

  it('the public /openapi.json and the 405 mocks have no authorizer', () => {
    const open = methods.find((m) => m.path === '/openapi.json' && m.HttpMethod === 'GET')!;
    expect(open.AuthorizerId).toBeUndefined();
    expect(open.AuthorizationType ?? 'NONE').toBe('NONE');
    for (const m of methods.filter((x) => x.HttpMethod === 'ANY')) expect(m.AuthorizerId).toBeUndefined();
  });

  it('cdk-nag finds nothing unacknowledged, and COG4 is acknowledged with the OIDC reason', () => {
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
    const reasons = stack.api.api.node.metadata.flatMap((m) => Object.entries(m.data as Record<string, unknown>));
    const cog4 = reasons.find(([id]) => id.endsWith('AwsSolutions-COG4'));
    expect(String(cog4?.[1])).toMatch(/OIDC issuer of the platform team's choosing.*verified by the Lambda TOKEN authorizer/);
  });

  it('API key mode (the default) has no authorizer', () => {
    const { template: t } = buildStack();
    t.resourceCountIs('AWS::ApiGateway::Authorizer', 0);
  });

  it('refuses consumers with jwt, and a jwt auth without issuer or audience', () => {
    expect(() => buildStack({ api: { ...jwtProps.api, consumers: [{ name: 'a' }] } })).toThrow(/consumers .* only with auth type 'apiKey'/);
    expect(() => buildStack({ api: { auth: { type: 'jwt', issuer: '', audience: 'x' } } })).toThrow(/auth.issuer is required/);
    expect(() => buildStack({ api: { auth: { type: 'jwt', issuer: ISSUER, audience: '' } } })).toThrow(/auth.audience is required/);
  });
});
