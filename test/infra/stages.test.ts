/**
 * The stages of bin/stages.ts: typed settings per stage, facts from context, explicit places for
 * staging and prod, termination protection, the demo only where asked, and the default synth
 * (`npx cdk synth`: the one dev stack the local stack and the tests run).
 */
import { App, type CfnElement, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { SMOKE_CONSUMER, type StageName, stackPropsOf, stageConfig, stageNameOf, targetFromContext } from '../../bin/stages.ts';
import { LongrunStack } from '../../lib/demo/longrun-stack.ts';
import { CDK_JSON_CONTEXT } from './fixture.ts';

const FACTS: Record<string, string> = {
  'staging.account': '222222222222',
  'staging.region': 'eu-west-1',
  'staging.runbookUrl': 'https://wiki.example.com/longrun/operations',
  'prod.account': '333333333333',
  'prod.region': 'eu-central-1',
  'prod.runbookUrl': 'https://wiki.example.com/longrun/operations',
  'prod.criticalEmails': 'oncall@example.com, lead@example.com',
};

/** The task types the stage accepts (the submit function's TASK_TYPES). */
function taskTypesOf(stack: LongrunStack, template: Template): string[] {
  const id = stack.getLogicalId(stack.api.functions['submit-task']!.node.defaultChild as CfnElement);
  return Object.keys(JSON.parse(template.toJSON().Resources[id].Properties.Environment.Variables.TASK_TYPES));
}

function stageStack(stage: StageName, facts: Record<string, string> = FACTS): { app: App; stack: LongrunStack; template: Template } {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const config = stageConfig(
    stage,
    targetFromContext((key) => facts[key], stage, true),
  );
  const stack = new LongrunStack(app, config.stackName, stackPropsOf(config));
  return { app, stack, template: Template.fromStack(stack) };
}

describe('stages', () => {
  it('dev (the default) is the one stack named Longrun, with the demo, where the CLI points, fast to deploy and to delete', () => {
    expect(stageNameOf(undefined)).toBe('dev');
    const { stack, template } = stageStack('dev', {});
    expect(stack.stackName).toBe('Longrun');
    // Environment-agnostic offline: the account and region are the deploy's, never a guess.
    expect(Token.isUnresolved(stack.account) && Token.isUnresolved(stack.region)).toBe(true);
    expect(stack.terminationProtection).toBe(false);
    expect(Object.keys(stack.api.functions).length).toBe(25);
    expect(taskTypesOf(stack, template)).toEqual(['primes', 'sleep', 'report', 'fail', 'flaky', 'quick', 'approval']);
    template.resourceCountIs('AWS::CodeDeploy::DeploymentGroup', 0);
    expect(Object.values(template.findResources('AWS::DynamoDB::Table'))[0]!.DeletionPolicy).toBe('Delete');
  });

  it.each<StageName>(['staging', 'prod'])('%s needs an explicit account, region and runbook URL (nothing guesses where it goes)', (stage) => {
    expect(() =>
      stageConfig(
        stage,
        targetFromContext(() => undefined, stage, true),
      ),
    ).toThrow(`stage ${stage} deploys to an explicit place: set ${stage}.account, ${stage}.region, ${stage}.runbookUrl`);
    expect(() => stageConfig(stage, { account: '12345', region: 'eu-west-1', runbookUrl: 'https://x.example' })).toThrow(
      `stage ${stage}: account must be 12 digits`,
    );
    expect(() => stageConfig(stage, { account: '123456789012', region: 'Ireland', runbookUrl: 'https://x.example' })).toThrow(
      `stage ${stage}: region must look like 'eu-west-1'`,
    );
  });

  it('refuses an unknown stage and half-given facts', () => {
    expect(() => stageNameOf('production')).toThrow("Unknown stage 'production': use one of dev, staging, prod.");
    expect(() => targetFromContext((key) => ({ 'prod.domainName': 'api.example.com' })[key], 'prod', false)).toThrow(
      'domainName needs certificateArn',
    );
    expect(() => targetFromContext((key) => ({ slackWorkspaceId: 'T01' })[key], 'dev', true)).toThrow(
      'slackWorkspaceId and slackChannelId go together',
    );
  });

  it('staging: its account and region, the demo, a smoke consumer with its own rate and daily quota, smaller reservations', () => {
    const { stack, template } = stageStack('staging');
    expect(stack.stackName).toBe('Longrun-staging');
    expect([stack.account, stack.region]).toEqual(['222222222222', 'eu-west-1']);
    expect(Object.keys(stack.api.apiKeys).sort()).toEqual(['default', SMOKE_CONSUMER]);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Description: `Longrun usage plan of consumer ${SMOKE_CONSUMER}`,
      Throttle: { RateLimit: 5, BurstLimit: 10 },
      Quota: { Limit: 2000, Period: 'DAY' },
    });
    // The api share (5) and, on the functions that hold connections, their own budget (10) on top.
    const reserved = (name: string) =>
      (stack.api.functions[name]!.node.defaultChild as { reservedConcurrentExecutions?: number }).reservedConcurrentExecutions;
    expect(reserved('list-tasks')).toBe(5);
    expect(reserved('submit-task')).toBe(15);
    template.resourceCountIs('AWS::CodeDeploy::DeploymentGroup', 25);
  });

  it('prod: termination protection, no demo (the echo placeholder), a kept customer managed key, alarms by mail and an absolute runbook', () => {
    const { stack, template } = stageStack('prod');
    expect(stack.terminationProtection).toBe(true);
    expect([stack.account, stack.region]).toEqual(['333333333333', 'eu-central-1']);
    expect(taskTypesOf(stack, template)).toEqual(['echo']);
    template.resourceCountIs('AWS::Lambda::Function', 24);
    const [, key] = Object.entries(template.findResources('AWS::KMS::Key')).find(([id]) => id.startsWith('DataKey'))!;
    expect(key).toMatchObject({ DeletionPolicy: 'Retain', Properties: { EnableKeyRotation: true } });
    for (const address of ['oncall@example.com', 'lead@example.com'])
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: address });
    const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm'))[0]!;
    expect(alarm.Properties.AlarmDescription).toMatch(/Runbook: https:\/\/wiki\.example\.com\/longrun\/operations#alarm-/);
    expect(Object.values(template.findResources('AWS::DynamoDB::Table'))[0]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: { DeletionProtectionEnabled: true },
    });
  });

  it('tags every resource with the service and the stage (cost allocation)', () => {
    const { template } = stageStack('prod');
    const table = Object.values(template.findResources('AWS::DynamoDB::Table'))[0]!;
    expect(table.Properties.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'stage', Value: 'prod' },
        { Key: 'service', Value: 'longrun' },
      ]),
    );
  });

  it.each<StageName>(['dev', 'staging', 'prod'])('%s passes cdk-nag', (stage) => {
    const { app, stack } = stageStack(stage);
    expect(new AwsSolutionsChecks(app).validateScope(stack).violations.map((v) => v.ruleName)).toEqual([]);
  });
});
