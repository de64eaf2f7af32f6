/**
 * The live channel in the demo stack (LiveUpdates, wired by the facade): the WebSocket API's routes
 * and stage, exact IAM (ManageConnections on this API's connections only, by method; the follow
 * mark limited to its attributes), the events reader's filter and grants, reservations, the
 * watch-token route's environment, and `liveUpdates: false`.
 */
import { Duration } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FOLLOW_WRITE_ATTRIBUTES } from '../../lambdas/domain/live.ts';
import { publisherFilters } from '../../lambdas/domain/stream-filters.ts';
import { aliasId, buildStack, cfnText, functionId, grantsOf } from './fixture.ts';

type Json = Record<string, any>;
const { template } = buildStack();
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Json }>;
const tableArn = `<${Object.keys(template.findResources('AWS::DynamoDB::Table'))[0]}.Arn>`;
const ofType = (t: Template, type: string) =>
  Object.entries(t.toJSON().Resources as Record<string, { Type: string; Properties: Json }>).filter(([, r]) => r.Type === type);
const [apiId, api] = ofType(template, 'AWS::ApiGatewayV2::Api')[0]!;
const env = (t: Template, name: string) => (t.toJSON().Resources[functionId(t, name)].Properties.Environment.Variables ?? {}) as Json;
const connections = (method: string) => `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiId}>/v1/${method}/@connections/*`;

function readerMappings(t: Template) {
  return ofType(t, 'AWS::Lambda::EventSourceMapping').filter(([, m]) => cfnText(m.Properties.EventSourceArn).includes('.StreamArn>'));
}

describe('the WebSocket API', () => {
  it('routes $connect, $disconnect and subscribe (selected by the body’s action) to their functions; subscribe answers', () => {
    expect(api.Properties).toMatchObject({ ProtocolType: 'WEBSOCKET', RouteSelectionExpression: '$request.body.action' });
    const integrations = Object.fromEntries(
      ofType(template, 'AWS::ApiGatewayV2::Integration').map(([id, r]) => [id, cfnText(r.Properties.IntegrationUri)]),
    );
    const routes = Object.fromEntries(
      ofType(template, 'AWS::ApiGatewayV2::Route').map(([id, r]) => {
        const integration = cfnText(r.Properties.Target).replace(/^integrations\/<(.+)>$/, '$1');
        return [r.Properties.RouteKey, { id, uri: integrations[integration]!, auth: r.Properties.AuthorizationType }];
      }),
    );
    expect(Object.keys(routes).sort()).toEqual(['$connect', '$disconnect', 'subscribe']);
    // Through each function's live alias, as the REST routes (a rollout moves it).
    expect(routes.$connect!.uri).toContain(`<${aliasId(template, 'live-connect')}>`);
    expect(routes.$disconnect!.uri).toContain(`<${aliasId(template, 'live-disconnect')}>`);
    expect(routes.subscribe!.uri).toContain(`<${aliasId(template, 'live-subscribe')}>`);
    const responses = ofType(template, 'AWS::ApiGatewayV2::RouteResponse').map(([, r]) => cfnText(r.Properties.RouteId));
    expect(responses).toEqual([`<${routes.subscribe!.id}>`]);
    // API Gateway may invoke each function's alias for this API only.
    for (const name of ['live-connect', 'live-disconnect', 'live-subscribe']) {
      const permissions = ofType(template, 'AWS::Lambda::Permission').filter(
        ([, p]) => cfnText(p.Properties.FunctionName) === `<${aliasId(template, name)}>`,
      );
      expect(permissions).toHaveLength(1);
      expect(cfnText(permissions[0]![1].Properties.SourceArn)).toContain(`<${apiId}>/*`);
    }
  });

  it('has one stage, v1, throttled like the REST stage, with access logs that never hold the query string (the token)', () => {
    const stages = ofType(template, 'AWS::ApiGatewayV2::Stage');
    expect(stages).toHaveLength(1);
    const stage = stages[0]![1].Properties;
    expect(stage).toMatchObject({ StageName: 'v1', AutoDeploy: true, DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 } });
    expect(stage.AccessLogSettings.Format).toContain('$context.connectionId');
    expect(stage.AccessLogSettings.Format).not.toMatch(/querystring|token|request\.path/i);
  });

  it('tells the watch-token route its URL and the tokens’ lifetime, and the connect function and the events reader its management URL', () => {
    expect(cfnText(env(template, 'create-watch-token').LIVE_URL)).toBe(`wss://<${apiId}>.execute-api.<AWS::Region>.<AWS::URLSuffix>/v1`);
    expect(env(template, 'create-watch-token').WATCH_TOKEN_SECONDS).toBe('300');
    for (const name of ['live-connect', 'publish-events']) {
      expect(cfnText(env(template, name).LIVE_CALLBACK_URL)).toBe(`https://<${apiId}>.execute-api.<AWS::Region>.<AWS::URLSuffix>/v1`);
    }
    expect(env(template, 'live-connect').HELD_CONNECTIONS_PER_CALLER).toBe('10');
    const { template: short } = buildStack({ api: { liveUpdates: { tokenLifetime: Duration.minutes(1) } } });
    expect(env(short, 'create-watch-token').WATCH_TOKEN_SECONDS).toBe('60');
    expect(() => buildStack({ api: { liveUpdates: { tokenLifetime: Duration.hours(2) } } })).toThrow(
      /tokenLifetime must be from 10 seconds to 1 hour/,
    );
  });
});

describe('the fan-out rides on the events reader', () => {
  it('the table’s stream keeps exactly two readers; the events reader passes followed tasks’ progress besides status changes', () => {
    expect(readerMappings(template)).toHaveLength(2);
    const events = readerMappings(template).find(([, m]) => cfnText(m.Properties.FunctionName).includes(aliasId(template, 'publish-events')))!;
    expect(events[1].Properties.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern))).toEqual(publisherFilters());
  });

  it('grants the events reader the followers (live items only), and POST on this API’s connections only', () => {
    const grants = grantsOf(template, functionId(template, 'publish-events'));
    const own = grants.filter((g) => g.action.startsWith('execute-api:') || g.keys?.includes('live#*'));
    expect(own.map((g) => `${g.action} ${g.resource}${g.keys ? ` keys ${g.keys.join(',')}` : ''}`).sort()).toEqual(
      [
        `dynamodb:BatchGetItem ${tableArn} keys live#*`,
        `dynamodb:UpdateItem ${tableArn} keys live#*`,
        `execute-api:ManageConnections ${connections('POST')}`,
      ].sort(),
    );
  });

  it('no function may manage connections beyond its one method on this API’s stage', () => {
    const manage = Object.keys(template.findResources('AWS::Lambda::Function')).flatMap((id) =>
      grantsOf(template, id)
        .filter((g) => g.action.startsWith('execute-api:'))
        .map((g) => `${id} ${g.action} ${g.resource}`),
    );
    expect(manage.sort()).toEqual(
      [
        `${functionId(template, 'publish-events')} execute-api:ManageConnections ${connections('POST')}`,
        `${functionId(template, 'live-connect')} execute-api:ManageConnections ${connections('GET')}`,
      ].sort(),
    );
  });

  it('the follow mark may write its own attribute of a task row and nothing else, returning nothing', () => {
    const fnId = functionId(template, 'live-subscribe');
    const roleId = resources[fnId]!.Properties.Role['Fn::GetAtt'][0] as string;
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Json[]);
    const mark = statements.find((s) => s.Action === 'dynamodb:UpdateItem' && s.Condition?.['ForAllValues:StringEquals']);
    expect(mark?.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...FOLLOW_WRITE_ATTRIBUTES] },
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['????????-????-7???-????-????????????'] },
      StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE'] },
    });
  });
});

describe('liveUpdates: false', () => {
  const { template: off } = buildStack({ api: { liveUpdates: false } });

  it('builds no WebSocket API, no live functions, no watch-token route; the events reader passes status changes only', () => {
    expect(ofType(off, 'AWS::ApiGatewayV2::Api')).toEqual([]);
    expect(() => functionId(off, 'create-watch-token')).toThrow(/found 0/);
    expect(() => functionId(off, 'live-connect')).toThrow(/found 0/);
    expect(ofType(off, 'AWS::ApiGateway::Resource').map(([, r]) => r.Properties.PathPart)).not.toContain('watch-tokens');
    const events = readerMappings(off).find(([, m]) => cfnText(m.Properties.FunctionName).includes(aliasId(off, 'publish-events')))!;
    expect(events[1].Properties.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern))).toEqual(publisherFilters());
    expect(env(off, 'publish-events').LIVE_CALLBACK_URL).toBeUndefined();
    expect(grantsOf(off, functionId(off, 'publish-events')).filter((g) => g.action.startsWith('execute-api:'))).toEqual([]);
  });

  it('tells the OpenAPI route the live channel is there (LIVE_URL) only when it is, so its document names POST /watch-tokens only then', () => {
    expect(cfnText(env(template, 'get-openapi').LIVE_URL)).toBe(cfnText(env(template, 'create-watch-token').LIVE_URL));
    expect(env(off, 'get-openapi')).not.toHaveProperty('LIVE_URL');
  });
});
