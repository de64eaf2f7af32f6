import { App, type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { AsyncTaskApi, type AsyncTaskApiProps } from '../../lib/index.ts';
import { grantsOf } from './fixture.ts';

function build(props: Partial<AsyncTaskApiProps>): Stack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test');
  new AsyncTaskApi(stack, 'Api', {
    worker: new sfn.Pass(stack, 'Work'),
    taskTypes: { echo: { type: 'object' } },
    ...props,
  });
  return stack;
}

describe('AsyncTaskApi props', () => {
  it('accepts a minimal worker and types', () => {
    const template = Template.fromStack(build({}));
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
  });

  it.each<[string, Partial<AsyncTaskApiProps>, RegExp]>([
    ['empty taskTypes', { taskTypes: {} }, /taskTypes must declare at least one task type/],
    ['oversized taskTypes', { taskTypes: { big: { description: 'x'.repeat(5000) } } }, /TASK_TYPES environment variable/],
    ['zero executionTimeout', { executionTimeout: Duration.seconds(0) }, /executionTimeout must be positive/],
    ['executionTimeout over a year', { executionTimeout: Duration.days(400) }, /executionTimeout must be at most/],
    ['zero retention', { retention: Duration.seconds(0) }, /retention must be positive/],
    ['duplicate consumers', { consumers: [{ name: 'a' }, { name: 'A' }] }, /consumer name 'A' is used twice/],
    ['bad consumer name', { consumers: [{ name: 'a b' }] }, /consumer name 'a b' must use only/],
    ['bad quota', { consumers: [{ name: 'a', quotaPerDay: 0 }] }, /quotaPerDay must be a positive integer/],
    ['empty CORS list', { corsAllowOrigins: [] }, /corsAllowOrigins must list at least one origin/],
    ['CORS origin with a path', { corsAllowOrigins: ['https://a.example/'] }, /corsAllowOrigins entry 'https:\/\/a.example\/'/],
    ['zero rate limit', { throttle: { rateLimit: 0, burstLimit: 10 } }, /throttle.rateLimit must be > 0/],
    [
      'an idempotency key outliving its task',
      { idempotencyKeyTtl: Duration.days(3), retention: Duration.days(1), executionTimeout: Duration.hours(1) },
      /idempotencyKeyTtl \(3 days\) must not exceed executionTimeout \+ retention \(1 day 1 hour\)/,
    ],
    ['a held-connection cap of 0', { heldConnections: { perCaller: 0 } }, /heldConnections.perCaller must be a positive integer/],
    ['a deployment name with a space', { deploymentName: 'my api' }, /deploymentName 'my api' must be 1-64 letters/],
    ['a relative runbook URL', { monitoring: { runbookUrl: 'docs/operations.md' } }, /monitoring.runbookUrl must be an absolute http\(s\) URL/],
    ['a runbook URL with a fragment', { monitoring: { runbookUrl: 'https://wiki.example.com/ops#top' } }, /without a fragment/],
    [
      'a mistyped alarm address',
      { monitoring: { subscriptions: { criticalEmails: ['oncall.example.com'] } } },
      /'oncall.example.com', which is not an e-mail address/,
    ],
    [
      'a Slack channel name instead of its id',
      { monitoring: { subscriptions: { slack: { workspaceId: 'T01', channelId: '#alerts' } } } },
      /slack.channelId must be the Slack id/,
    ],
    ['a reserved tag key', { tags: { 'aws:team': 'x' } }, /tag key 'aws:team' must be 1-128 letters/],
    [
      'a canary percentage of 100',
      { rollout: { workflow: { type: 'CANARY', percentage: 100 } } },
      /rollout.workflow.percentage must be an integer from 1 to 99/,
    ],
    [
      'a canary interval in seconds',
      { rollout: { workflow: { type: 'LINEAR', interval: Duration.seconds(90) } } },
      /rollout.workflow.interval must be a whole number of minutes/,
    ],
  ])('rejects %s with a precise message', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  it('adds a Catch to every top-level Task, Parallel and Map of any worker', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Test');
    const parallel = new sfn.Parallel(stack, 'Fan').branch(new sfn.Pass(stack, 'Inner'));
    const map = new sfn.Map(stack, 'Each').itemProcessor(new sfn.Pass(stack, 'Item'));
    const pass = new sfn.Pass(stack, 'Plain');
    new AsyncTaskApi(stack, 'Api', { worker: parallel.next(map).next(pass), taskTypes: { t: {} } });
    const sm = Object.values(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'))[0]!;
    const parts = sm.Properties.DefinitionString['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : 'X')).join('');
    const states = JSON.parse(parts).States;
    // States.ALL does not catch States.DataLimitExceeded: it is named first, to the result-too-large failure.
    const toFailure = [
      { ErrorEquals: ['States.DataLimitExceeded'], ResultPath: null, Next: 'RecordResultTooLarge' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' },
    ];
    expect(states.Fan.Catch).toEqual(toFailure);
    expect(states.Each.Catch).toEqual(toFailure);
    expect(states.Plain.Catch).toBeUndefined();
    expect(states.Plain.Next).toBe('RecordSuccess');
  });

  it('grantProgress gives UpdateItem on task rows, limited to the attributes progress touches, and TABLE_NAME', async () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Test');
    const api = new AsyncTaskApi(stack, 'Api', { worker: new sfn.Pass(stack, 'Work'), taskTypes: { t: {} } });
    const fn = new lambda.Function(stack, 'Worker', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    api.grantProgress(fn);
    const template = Template.fromStack(stack);
    const fnId = stack.getLogicalId(fn.node.defaultChild as CfnElement);
    const table = Object.keys(template.findResources('AWS::DynamoDB::Table'))[0]!;
    expect(template.toJSON().Resources[fnId].Properties.Environment.Variables.TABLE_NAME).toEqual({ Ref: table });
    const own = grantsOf(template, fnId)
      .filter((g) => g.action.startsWith('dynamodb:'))
      .map((g) => `${g.action} ${g.resource}`)
      .sort();
    expect(own).toEqual([`dynamodb:UpdateItem <${table}.Arn>`]);
    const roleId = template.toJSON().Resources[fnId].Properties.Role['Fn::GetAtt'][0] as string;
    const progress = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .find((s: { Action: unknown }) => s.Action === 'dynamodb:UpdateItem');
    expect(progress.Condition).toEqual({
      // Not owner, result, error, input, type, ttl: a worker can never rewrite or read them.
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['id', 'progress', 'startedAt', 'status', 'updatedAt', 'version'] },
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['????????-????-7???-????-????????????'] },
      StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE', 'UPDATED_OLD', 'UPDATED_NEW'] },
    });
  });

  it('grantResultWrite gives s3:PutObject on results/* of the results bucket only, and RESULTS_BUCKET_NAME', async () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Test');
    const api = new AsyncTaskApi(stack, 'Api', { worker: new sfn.Pass(stack, 'Work'), taskTypes: { t: {} } });
    const fn = new lambda.Function(stack, 'Worker', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    api.grantResultWrite(fn);
    const template = Template.fromStack(stack);
    const fnId = stack.getLogicalId(fn.node.defaultChild as CfnElement);
    const bucket = Object.keys(template.findResources('AWS::S3::Bucket'))[0]!;
    expect(template.toJSON().Resources[fnId].Properties.Environment.Variables.RESULTS_BUCKET_NAME).toEqual({ Ref: bucket });
    const own = grantsOf(template, fnId)
      .filter((g) => !g.action.startsWith('logs:') && !g.action.startsWith('xray:'))
      .map((g) => `${g.action} ${g.resource}`);
    expect(own).toEqual([`s3:PutObject <${bucket}.Arn>/results/*`]);
  });
});
