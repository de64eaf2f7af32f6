/**
 * Production hygiene: a customer managed key for everything stored, log retention per kind, the
 * state machine's log level and vended-logs prefix, tags on every resource, deletion protection,
 * the saved query for one task and the top-callers rule.
 */
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { buildStack, cfnText, functionId, grantsOf, stateMachineId, tableId } from './fixture.ts';

type Json = Record<string, any>;

const { template } = buildStack();
const resources = template.toJSON().Resources as Record<string, Json>;
const byType = (t: typeof template, type: string) => Object.entries(t.findResources(type)) as Array<[string, Json]>;

describe('a customer managed key for everything stored', () => {
  const built = buildStack({ api: (stack) => ({ encryptionKey: new kms.Key(stack, 'DataKey', { enableKeyRotation: true }) }) });
  const t = built.template;
  const keyId = byType(t, 'AWS::KMS::Key').find(([id]) => id.startsWith('DataKey'))![0];
  const keyArn = { 'Fn::GetAtt': [keyId, 'Arn'] };

  it('encrypts the table, the results bucket, every queue and the state machine with it', () => {
    expect(t.toJSON().Resources[tableId(t)].Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn });
    const bucket = byType(t, 'AWS::S3::Bucket')[0]![1].Properties.BucketEncryption.ServerSideEncryptionConfiguration[0];
    expect(bucket).toEqual({ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn } });
    const queues = byType(t, 'AWS::SQS::Queue');
    expect(queues).toHaveLength(6);
    for (const [, queue] of queues) expect(queue.Properties.KmsMasterKeyId).toEqual(keyArn);
    expect(t.toJSON().Resources[stateMachineId(t)].Properties.EncryptionConfiguration).toMatchObject({
      Type: 'CUSTOMER_MANAGED_KMS_KEY',
      KmsKeyId: keyArn,
    });
  });

  it('encrypts every log group of the construct (functions, access, execution, state machine), and lets CloudWatch Logs and EventBridge use it', () => {
    const own = byType(t, 'AWS::Logs::LogGroup').filter(([id]) => id.startsWith('TaskApi'));
    // 31 with the Express state machine's of the demo's short task type.
    expect(own).toHaveLength(31);
    for (const [id, group] of own) expect(group.Properties.KmsKeyId, id).toEqual(keyArn);
    const statements = t.toJSON().Resources[keyId].Properties.KeyPolicy.Statement as Json[];
    const logsStatement = statements.find((s) => s.Sid === 'LongrunCloudWatchLogs')!;
    expect(cfnText(logsStatement.Principal.Service)).toBe('logs.<AWS::Region>.amazonaws.com');
    expect(cfnText(logsStatement.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn'])).toBe(
      'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*',
    );
    expect(statements.find((s) => s.Sid === 'LongrunEventBridgeDeadLetters')).toMatchObject({ Principal: { Service: 'events.amazonaws.com' } });
  });

  it('lets each function (and the worker functions it was asked to) use it through DynamoDB, SQS, S3 and Step Functions only', () => {
    const names = [...Object.keys(built.stack.api.functions), 'count-primes', 'make-report'];
    for (const name of names) {
      const statement = Object.values(t.findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(t.toJSON().Resources[functionId(t, name)].Properties.Role['Fn::GetAtt'][0]))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Json[])
        .find((s) => JSON.stringify(s.Resource) === JSON.stringify(keyArn));
      expect(statement, name).toBeDefined();
      expect([...statement!.Action].sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']);
      expect(statement!.Condition.StringEquals['kms:ViaService'].map(cfnText)).toEqual(
        ['dynamodb', 'sqs', 's3', 'states'].map((service) => `${service}.<AWS::Region>.amazonaws.com`),
      );
    }
  });

  it('stays clean under cdk-nag', () => {
    const report = new AwsSolutionsChecks(built.app).validateScope(built.stack);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('warns at synth when the key is imported (its policy must then let CloudWatch Logs and EventBridge in)', () => {
    const imported = buildStack({
      api: (stack) => ({
        encryptionKey: kms.Key.fromKeyArn(stack, 'Theirs', 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
      }),
    });
    Annotations.fromStack(imported.stack).hasWarning(
      '*',
      Match.stringLikeRegexp('The policy of the given encryptionKey cannot be changed from this stack'),
    );
    Annotations.fromStack(built.stack).hasNoWarning('*', Match.stringLikeRegexp('encryptionKey'));
  });

  it('without it, AWS managed and owned keys: nothing refers to a key but the alarm topics', () => {
    expect(resources[tableId(template)]!.Properties.SSESpecification).toEqual({ SSEEnabled: true });
    for (const [, queue] of byType(template, 'AWS::SQS::Queue')) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    for (const [, group] of byType(template, 'AWS::Logs::LogGroup')) expect(group.Properties.KmsKeyId).toBeUndefined();
  });
});

describe('log groups', () => {
  const retentionOf = (t: typeof template) =>
    Object.fromEntries(
      byType(t, 'AWS::Logs::LogGroup')
        .filter(([id]) => id.startsWith('TaskApi'))
        .map(([id, g]) => [id.replace(/[0-9A-F]{8}$/, ''), g.Properties.RetentionInDays as number]),
    );

  it('keep the access log a year, everything else a month, by default', () => {
    const retention = retentionOf(template);
    expect(retention.TaskApiHttpAccessLogGroup).toBe(365);
    expect(retention.TaskApiHttpExecutionLogGroup).toBe(30);
    expect(retention.TaskApiWorkflowStateMachineLogGroup).toBe(30);
    expect(retention.TaskApiHttpSubmitTaskFunctionLogGroup).toBe(30);
  });

  it('take a retention per kind, or one for all', () => {
    const perKind = retentionOf(
      buildStack({
        api: {
          logRetention: {
            functions: logs.RetentionDays.ONE_WEEK,
            workflow: logs.RetentionDays.TWO_WEEKS,
            accessLogs: logs.RetentionDays.FIVE_YEARS,
            executionLogs: logs.RetentionDays.THREE_DAYS,
          },
        },
      }).template,
    );
    expect(perKind).toMatchObject({
      TaskApiHttpAccessLogGroup: 1827,
      TaskApiHttpExecutionLogGroup: 3,
      TaskApiWorkflowStateMachineLogGroup: 14,
      TaskApiHttpSubmitTaskFunctionLogGroup: 7,
      TaskApiWebhooksDeliveryFunctionLogGroup: 7,
    });
    const one = Object.values(retentionOf(buildStack({ api: { logRetention: logs.RetentionDays.SIX_MONTHS } }).template));
    expect(new Set(one)).toEqual(new Set([180]));
  });

  it('the state machine logs errors by default, under /aws/vendedlogs/states/, and its level is a prop', () => {
    const sm = resources[stateMachineId(template)]!.Properties.LoggingConfiguration;
    expect(sm).toMatchObject({ Level: 'ERROR', IncludeExecutionData: false });
    const groupId = sm.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
    expect(resources[groupId]!.Properties.LogGroupName).toMatch(/^\/aws\/vendedlogs\/states\/[A-Za-z0-9-]+$/);
    const all = buildStack({ api: { workflowLogLevel: sfn.LogLevel.ALL } }).template;
    expect(Object.values(all.findResources('AWS::StepFunctions::StateMachine'))[0]!.Properties.LoggingConfiguration.Level).toBe('ALL');
  });
});

describe('tags', () => {
  const { template: tagged } = buildStack({ api: { tags: { 'cost-center': 'research', service: 'longrun' } } });

  it('are on every resource of the construct that takes tags', () => {
    const taggable = Object.entries(tagged.toJSON().Resources as Record<string, Json>).filter(
      ([id, r]) => id.startsWith('TaskApi') && r.Properties?.Tags !== undefined,
    );
    expect(taggable.length).toBeGreaterThan(60);
    for (const [id, r] of taggable) {
      const tags = Array.isArray(r.Properties.Tags) ? Object.fromEntries(r.Properties.Tags.map((t: Json) => [t.Key, t.Value])) : r.Properties.Tags;
      expect(tags, id).toMatchObject({ 'cost-center': 'research', service: 'longrun' });
    }
    const types = new Set(taggable.map(([, r]) => r.Type));
    for (const type of [
      'AWS::DynamoDB::Table',
      'AWS::Lambda::Function',
      'AWS::S3::Bucket',
      'AWS::SQS::Queue',
      'AWS::StepFunctions::StateMachine',
      'AWS::Logs::LogGroup',
      'AWS::ApiGateway::RestApi',
    ]) {
      expect(types, type).toContain(type);
    }
  });

  it('are absent without the prop (the check can fail)', () => {
    expect(JSON.stringify(template.toJSON())).not.toContain('cost-center');
  });
});

describe('deletion protection', () => {
  it('is on by default and a prop', () => {
    expect(resources[tableId(template)]!.Properties.DeletionProtectionEnabled).toBe(true);
    const off = buildStack({ api: { deletionProtection: false } }).template;
    expect(off.toJSON().Resources[tableId(off)].Properties.DeletionProtectionEnabled).toBe(false);
  });
});

describe('on-call views', () => {
  it('a saved Logs Insights query follows one task id through every function log group and the state machine’s', () => {
    const [, query] = byType(template, 'AWS::Logs::QueryDefinition')[0]!;
    expect(query.Properties.Name).toBe('Longrun/one-task');
    expect(query.Properties.QueryString).toContain('filter taskId = "TASK-ID-HERE" or @message like "TASK-ID-HERE"');
    expect(query.Properties.QueryString).toContain('sort @timestamp asc');
    const groups = (query.Properties.LogGroupNames as Json[]).map((g) => g.Ref as string);
    const functionGroups = Object.keys(buildStack().stack.api.functions).map(
      (name) => resources[functionId(template, name)]!.Properties.LoggingConfig.LogGroup.Ref,
    );
    const groupOf = (machine: Json) => machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
    const smGroup = groupOf(resources[stateMachineId(template)]!);
    // The Express state machine's too (the demo's short task type runs there).
    const expressGroup = groupOf(
      byType(template, 'AWS::StepFunctions::StateMachine').find(([, r]) => r.Properties.StateMachineType === 'EXPRESS')![1],
    );
    expect(groups.sort()).toEqual([...functionGroups, smGroup, expressGroup].sort());
  });

  it('a Contributor Insights rule ranks callers (API key id or JWT subject) by requests in the access log', () => {
    const [, rule] = byType(template, 'AWS::CloudWatch::InsightRule')[0]!;
    expect(rule.Properties).toMatchObject({ RuleName: 'Longrun-top-callers', RuleState: 'ENABLED' });
    const body = JSON.parse(cfnText(rule.Properties.RuleBody).replace(/<([A-Za-z0-9]+)>/g, '$1'));
    expect(body).toMatchObject({
      Schema: { Name: 'CloudWatchLogRule', Version: 1 },
      LogFormat: 'JSON',
      Contribution: { Keys: ['$.apiKeyId', '$.principalId'] },
      AggregateOn: 'Count',
    });
    expect(body.LogGroupNames[0]).toMatch(/^TaskApiHttpAccessLogGroup/);
    // The keys are fields the access log writes.
    const format = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0]!.Properties.AccessLogSetting.Format as string;
    for (const field of ['apiKeyId', 'principalId']) expect(format).toContain(`"${field}"`);
  });
});

describe('grants stay exact with the key', () => {
  it('a worker granted progress writes gets the key too, nothing else new', () => {
    const built = buildStack({ api: (stack) => ({ encryptionKey: new kms.Key(stack, 'DataKey', { enableKeyRotation: true }) }) });
    const kmsGrants = grantsOf(built.template, functionId(built.template, 'count-primes')).filter((g) => g.action.startsWith('kms:'));
    expect(kmsGrants.map((g) => g.action).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']);
  });
});
