/**
 * A first deploy that works anywhere, and deployments that stay apart: the API Gateway account
 * setting (or the prop saying it exists), the execution log group, names unique per deployment, the
 * WAF alarm's region, the custom domain and the links pushed on it, CORS on the gateway's and WAF's
 * own answers.
 */
import { App, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { describe, expect, it } from 'vitest';
import { STAGE_NAME } from '../../lambdas/api/routes.ts';
import { LongrunStack, type StackApiProps } from '../../lib/demo/longrun-stack.ts';
import { buildStack, CDK_JSON_CONTEXT, cfnText, functionId } from './fixture.ts';

type Json = Record<string, any>;

const CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';

/** The demo stack, with props that are constructs of the stack (a certificate, a zone). */
function withStack(api: (stack: Stack) => StackApiProps): Template {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(new LongrunStack(app, 'Longrun', { env: { account: '123456789012', region: 'eu-west-1' }, api }));
}

describe('the API Gateway account setting (a first deploy in a fresh account)', () => {
  const { template } = buildStack();
  const resources = template.toJSON().Resources as Record<string, Json>;

  it('is created by default, with a role that may push to CloudWatch Logs, both kept when the stack goes', () => {
    const [accountId, account] = Object.entries(template.findResources('AWS::ApiGateway::Account'))[0]!;
    const roleId = account.Properties.CloudWatchRoleArn['Fn::GetAtt'][0];
    expect(account.DeletionPolicy).toBe('Retain');
    expect(resources[roleId]!.DeletionPolicy).toBe('Retain');
    expect(resources[roleId]!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Action: 'sts:AssumeRole', Principal: { Service: 'apigateway.amazonaws.com' } }),
    ]);
    expect(resources[roleId]!.Properties.ManagedPolicyArns.map(cfnText)).toEqual([
      'arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
    ]);
    // The stage, which logs, is created only once the account setting exists.
    const [, stage] = Object.entries(template.findResources('AWS::ApiGateway::Stage'))[0]!;
    expect(stage.DependsOn).toContain(accountId);
  });

  it('is left alone with cloudWatchRole: false (the account has one already), and the stage still logs', () => {
    const t = buildStack({ api: { cloudWatchRole: false } }).template;
    t.resourceCountIs('AWS::ApiGateway::Account', 0);
    for (const role of Object.values(t.findResources('AWS::IAM::Role'))) {
      expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).not.toContain('apigateway.amazonaws.com');
    }
    t.hasResourceProperties('AWS::ApiGateway::Stage', { AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }) });
  });

  it('creates the execution log group API Gateway would create unbounded, with a retention, before the stage', () => {
    const [groupId, group] = Object.entries(resources).find(([id]) => id.startsWith('TaskApiHttpExecutionLogGroup'))!;
    expect(cfnText(group.Properties.LogGroupName)).toBe(
      `API-Gateway-Execution-Logs_<${Object.keys(template.findResources('AWS::ApiGateway::RestApi'))[0]}>/${STAGE_NAME}`,
    );
    expect(group.Properties.RetentionInDays).toBe(30);
    const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0]!;
    expect(stage.DependsOn).toContain(groupId);
    expect(stage.Properties.MethodSettings[0]).toMatchObject({ LoggingLevel: 'ERROR', DataTraceEnabled: false });
  });
});

describe('several deployments in one account', () => {
  const env = { account: '123456789012', region: 'eu-west-1' };
  const longrun = (id: string, props: ConstructorParameters<typeof LongrunStack>[2] = {}) =>
    new LongrunStack(new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } }), id, props);
  const names = (stack: Stack) => {
    const t = Template.fromStack(stack);
    const all = (type: string, prop: string) => Object.values(t.findResources(type)).map((r) => cfnText(r.Properties[prop]));
    const service = Object.values(t.findResources('AWS::Lambda::Function'))
      .map((f) => f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME)
      .filter(Boolean);
    return {
      service: [...new Set(service)],
      waf: all('AWS::WAFv2::WebACL', 'VisibilityConfig').map((v) => JSON.parse(v).MetricName),
      alarms: all('AWS::CloudWatch::Alarm', 'AlarmName'),
      dashboards: all('AWS::CloudWatch::Dashboard', 'DashboardName'),
      queries: all('AWS::Logs::QueryDefinition', 'Name'),
      rules: all('AWS::CloudWatch::InsightRule', 'RuleName'),
      apis: all('AWS::ApiGateway::RestApi', 'Name'),
    };
  };
  const a = names(longrun('Longrun-a', { env }));
  const b = names(longrun('Longrun-b', { env }));

  it('share no metric dimension, WAF metric name, alarm, dashboard, saved query, insight rule or API name', () => {
    expect(a.service).toEqual(['Longrun-a']);
    expect(b.service).toEqual(['Longrun-b']);
    expect(a.waf).toEqual(['Longrun-a-WebAcl']);
    for (const key of Object.keys(a) as Array<keyof typeof a>) {
      expect(a[key].length, key).toBeGreaterThan(0);
      expect(
        a[key].filter((name) => b[key].includes(name)),
        key,
      ).toEqual([]);
    }
  });

  it('alarms read the business metrics under their own deployment name', () => {
    const t = Template.fromStack(longrun('Longrun-c', { env, api: { deploymentName: 'reports' } }));
    const oldest = Object.values(t.findResources('AWS::CloudWatch::Alarm')).find(
      (r) => r.Properties.AlarmName === 'reports-Tasks-OldestOpenTask-Critical',
    )!;
    expect(oldest.Properties.Metrics[0].MetricStat.Metric.Dimensions).toEqual([{ Name: 'service', Value: 'reports' }]);
    expect(t.toJSON().Resources[functionId(t, 'sweep-tasks')].Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe('reports');
  });

  it('the WAF alarm follows the stack region, never a fixed one', () => {
    const region = (stack: Stack) => {
      const alarm = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).find((r) =>
        JSON.stringify(r.Properties).includes('BlockedRequests'),
      )!;
      return alarm.Properties.Metrics[0].MetricStat.Metric.Dimensions.find((d: Json) => d.Name === 'Region').Value;
    };
    expect(region(longrun('Agnostic'))).toEqual({ Ref: 'AWS::Region' });
    expect(region(longrun('Tokyo', { env: { account: '123456789012', region: 'ap-northeast-1' } }))).toBe('ap-northeast-1');
  });
});

describe('custom domain', () => {
  const t = withStack((stack) => ({
    domain: {
      domainName: 'api.example.com',
      basePath: 'tasks',
      certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERTIFICATE),
      hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123', zoneName: 'example.com' }),
    },
  }));

  it('maps a regional, TLS 1.2 domain name with the given certificate to the stage under the base path', () => {
    t.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'api.example.com',
      RegionalCertificateArn: CERTIFICATE,
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: 'TLS_1_2',
    });
    const stage = Object.keys(t.findResources('AWS::ApiGateway::Stage'))[0]!;
    t.hasResourceProperties('AWS::ApiGateway::BasePathMapping', { BasePath: 'tasks', Stage: { Ref: stage } });
    t.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'api.example.com.', Type: 'A', HostedZoneId: 'Z0123' });
  });

  it('is the base of every pushed link (webhooks, task events) and of the ApiUrl output', () => {
    for (const name of ['deliver-webhook', 'publish-events']) {
      expect(t.toJSON().Resources[functionId(t, name)].Properties.Environment.Variables.API_BASE_URL).toBe('https://api.example.com/tasks');
    }
    expect(t.toJSON().Outputs.ApiUrl.Value).toBe('https://api.example.com/tasks');
  });

  it('without it, pushed links use the execute-api URL of the stage', () => {
    const { template } = buildStack();
    expect(cfnText(template.toJSON().Resources[functionId(template, 'deliver-webhook')].Properties.Environment.Variables.API_BASE_URL)).toMatch(
      /^https:\/\/<.+>\.execute-api\.<AWS::Region>\.<AWS::URLSuffix>\/<.+>\/$/,
    );
    template.resourceCountIs('AWS::ApiGateway::DomainName', 0);
  });

  it('can close the execute-api URL, and has no record without a zone', () => {
    const closed = withStack((stack) => ({
      domain: {
        domainName: 'api.example.com',
        certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERTIFICATE),
        disableExecuteApiEndpoint: true,
      },
    }));
    closed.hasResourceProperties('AWS::ApiGateway::RestApi', { DisableExecuteApiEndpoint: true });
    closed.resourceCountIs('AWS::Route53::RecordSet', 0);
    closed.hasResourceProperties('AWS::ApiGateway::BasePathMapping', Match.not(Match.objectLike({ BasePath: Match.anyValue() })));
  });

  it.each([
    ['an upper-case domain', { domainName: 'API.example.com' }, /domain.domainName 'API.example.com' is not a lower-case domain name/],
    ['a base path with a leading slash', { domainName: 'api.example.com', basePath: '/tasks' }, /domain.basePath '\/tasks' must be path segments/],
  ])('refuses %s with a precise message', (_, domain, message) => {
    expect(() =>
      withStack((stack) => ({ domain: { ...domain, certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERTIFICATE) } })),
    ).toThrow(message);
  });
});

describe("CORS on the gateway's and the WAF's own answers", () => {
  const corsOf = (origins?: string[]) => {
    const { template } = buildStack({ api: origins ? { corsAllowOrigins: origins } : {} });
    const gateway = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse')).map((r) => r.Properties.ResponseParameters as Json);
    const acl = Object.values(template.findResources('AWS::WAFv2::WebACL'))[0]!.Properties as Json;
    const waf = (acl.Rules as Json[])
      .filter((r) => r.Action?.Block?.CustomResponse)
      .map((r) => r.Action.Block.CustomResponse.ResponseHeaders as Json[]);
    return { gateway, waf };
  };

  it('carry the one allowed origin, and expose Retry-After', () => {
    const { gateway, waf } = corsOf(['https://app.example.com']);
    expect(gateway.length).toBeGreaterThan(10);
    for (const headers of gateway) {
      expect(headers['gatewayresponse.header.Access-Control-Allow-Origin']).toBe("'https://app.example.com'");
      expect(headers['gatewayresponse.header.Access-Control-Expose-Headers']).toBe("'Retry-After'");
    }
    // Every WAF rule that blocks answers with its own body: the three rate rules and the two body rules.
    expect(waf.length).toBe(5);
    for (const headers of waf) expect(headers).toContainEqual({ Name: 'Access-Control-Allow-Origin', Value: 'https://app.example.com' });
  });

  it('carry * with several allowed origins (a fixed header cannot name the caller), and nothing without CORS', () => {
    const several = corsOf(['https://a.example', 'https://b.example']);
    for (const headers of several.gateway) expect(headers['gatewayresponse.header.Access-Control-Allow-Origin']).toBe("'*'");
    for (const headers of several.waf) expect(headers).toContainEqual({ Name: 'Access-Control-Allow-Origin', Value: '*' });
    const none = corsOf();
    for (const headers of none.gateway) expect(headers).not.toHaveProperty('gatewayresponse.header.Access-Control-Allow-Origin');
    for (const headers of none.waf) expect(JSON.stringify(headers ?? [])).not.toContain('Access-Control');
  });
});
