/** The console's routes: one public function serves the page and its two files, with no AWS access beyond its logs. */
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lambdas/api/routes.ts';
import { aliasId, apiMethods, buildStack, cfnText, functionId, grantsOf } from './fixture.ts';

const { template } = buildStack();
const consoleFn = functionId(template, 'get-console');
const BASELINE = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

describe('console', () => {
  it('GET /console and GET /console/{asset} are public Lambda proxy methods of the one get-console function', () => {
    expect(ROUTES.filter((r) => r.handler === 'get-console').map((r) => `${r.method} ${r.path} ${r.authenticated}`)).toEqual([
      'GET /console false',
      'GET /console/{asset} false',
    ]);
    for (const path of ['/console', '/console/{asset}']) {
      const method = apiMethods(template).find((m) => m.path === path && m.HttpMethod === 'GET')!;
      expect(method.ApiKeyRequired).toBe(false);
      expect(method.AuthorizationType ?? 'NONE').toBe('NONE');
      expect(method.Integration.Type).toBe('AWS_PROXY');
      // Through the function's live alias, as every route (a rollout moves it).
      expect(cfnText(method.Integration.Uri)).toContain(`/functions/<${aliasId(template, 'get-console')}>/`);
      expect(cfnText(method.Integration.Uri)).not.toContain('response-streaming');
    }
    const fn = template.toJSON().Resources[consoleFn].Properties;
    expect(fn).toMatchObject({ Description: 'GET /console, GET /console/{asset}', MemorySize: 256, Timeout: 10 });
  });

  it('stays public with a JWT authorizer (the page asks for the key itself)', () => {
    const { template: jwt } = buildStack({ api: { auth: { type: 'jwt', issuer: 'https://issuer.example.com', audience: 'a' } } });
    for (const path of ['/console', '/console/{asset}']) {
      const method = apiMethods(jwt).find((m) => m.path === path && m.HttpMethod === 'GET')!;
      expect(method.AuthorizerId).toBeUndefined();
      expect(method.AuthorizationType ?? 'NONE').toBe('NONE');
    }
  });

  it('may write its own log group and traces, nothing else', () => {
    const grants = grantsOf(template, consoleFn);
    expect([...new Set(grants.map((g) => g.action))].sort()).toEqual(BASELINE);
    const logGroup = template.toJSON().Resources[consoleFn].Properties.LoggingConfig.LogGroup.Ref;
    for (const g of grants) expect(g.resource).toBe(g.action.startsWith('logs:') ? `<${logGroup}.Arn>` : '*');
  });

  it("is told the results bucket's origins (its page may follow the result route's 303 there), and nothing of the table or workflow", () => {
    const env = template.toJSON().Resources[consoleFn].Properties.Environment.Variables;
    const bucket = Object.keys(template.findResources('AWS::S3::Bucket'))[0]!;
    expect(cfnText(env.RESULT_LINK_ORIGINS)).toBe(`https://<${bucket}.RegionalDomainName>,https://<${bucket}.DomainName>`);
    expect(env).not.toHaveProperty('STATE_MACHINE_ARN');
    expect(env).not.toHaveProperty('TASK_TYPES');
  });

  it("is told the live channel's URL (its page may open the WebSocket there), the one watch tokens carry; without the live channel, none", () => {
    const env = (t: typeof template, id: string) => t.toJSON().Resources[id].Properties.Environment.Variables;
    const url = cfnText(env(template, consoleFn).LIVE_URL);
    expect(url).toMatch(/^wss:\/\/<\w+>\.execute-api\.<AWS::Region>\.<AWS::URLSuffix>\/v1$/);
    expect(url).toBe(cfnText(env(template, functionId(template, 'create-watch-token')).LIVE_URL));
    const { template: off } = buildStack({ api: { liveUpdates: false } });
    expect(env(off, functionId(off, 'get-console'))).not.toHaveProperty('LIVE_URL');
  });

  it('has its own reserved concurrency: a flood of page loads cannot take the other routes’ capacity', () => {
    expect(template.toJSON().Resources[consoleFn].Properties.ReservedConcurrentExecutions).toBe(20);
  });

  it('adds no cdk-nag finding', () => {
    const { app, stack } = buildStack();
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations.filter((v) => v.violatingResources.some((r) => r.constructPath?.includes('GetConsole')))).toEqual([]);
  });
});
