/**
 * Safe rollouts: every function behind a `live` alias moved by CodeDeploy (canary by default) and
 * rolled back by the function's critical alarms; the state machine published as versions behind a
 * `live` alias that submit and the sweeper start executions with, moved the same way.
 */
import { Duration } from 'aws-cdk-lib';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import { describe, expect, it } from 'vitest';
import { aliasId, buildStack, functionId, stateMachineId } from './fixture.ts';

type Json = Record<string, any>;

const { stack, template } = buildStack();
const resources = template.toJSON().Resources as Record<string, Json>;
const ownFunctions = Object.keys(stack.api.functions);
const groups = Object.values(template.findResources('AWS::CodeDeploy::DeploymentGroup')).map((g) => g.Properties as Json);
const alarmName = (ref: Json) => resources[ref.Ref]!.Properties.AlarmName as string;

describe('function rollouts', () => {
  it.each(ownFunctions)("%s has a 'live' alias on its current version", (name) => {
    const alias = resources[aliasId(template, name)]!;
    expect(alias.Properties).toMatchObject({ Name: 'live', FunctionName: { Ref: functionId(template, name) } });
    const versionId = alias.Properties.FunctionVersion['Fn::GetAtt'][0];
    expect(resources[versionId]).toMatchObject({ Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: functionId(template, name) } } });
  });

  it('each alias moves through its own CodeDeploy group: 10 % for 5 minutes, rolled back by its errors alarm or a failed deployment', () => {
    expect(groups).toHaveLength(ownFunctions.length);
    template.resourceCountIs('AWS::CodeDeploy::Application', 1);
    for (const name of ownFunctions) {
      const alias = resources[aliasId(template, name)]!;
      const { ApplicationName, DeploymentGroupName } = alias.UpdatePolicy.CodeDeployLambdaAliasUpdate;
      const group = Object.entries(template.findResources('AWS::CodeDeploy::DeploymentGroup')).find(([id]) => id === DeploymentGroupName.Ref)![1]
        .Properties;
      expect(ApplicationName).toEqual(group.ApplicationName);
      expect(group.DeploymentConfigName).toBe('CodeDeployDefault.LambdaCanary10Percent5Minutes');
      expect(group.AutoRollbackConfiguration).toEqual({ Enabled: true, Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] });
      const watched = group.AlarmConfiguration.Alarms.map((a: Json) => alarmName(a.Name));
      expect(
        watched.some((n: string) => n.includes('Fault-Count-Critical')),
        name,
      ).toBe(true);
      expect(
        watched.every((n: string) => n.endsWith('-Critical')),
        name,
      ).toBe(true);
    }
  });

  it('stream readers are also rolled back by their iterator age', () => {
    const forward = resources[aliasId(template, 'forward-terminal')]!.UpdatePolicy.CodeDeployLambdaAliasUpdate.DeploymentGroupName.Ref;
    const watched = resources[forward]!.Properties.AlarmConfiguration.Alarms.map((a: Json) => alarmName(a.Name));
    expect(watched.some((n: string) => n.includes('Iterator'))).toBe(true);
  });

  it('every group shares one role, with CodeDeploy’s own Lambda policy', () => {
    expect(new Set(groups.map((g) => JSON.stringify(g.ServiceRoleArn))).size).toBe(1);
  });

  it('takes another deployment config, or none with rollout: false (aliases move at once)', () => {
    const linear = buildStack({ api: { rollout: { functions: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE } } }).template;
    for (const g of Object.values(linear.findResources('AWS::CodeDeploy::DeploymentGroup'))) {
      expect(g.Properties.DeploymentConfigName).toBe('CodeDeployDefault.LambdaLinear10PercentEvery1Minute');
    }
    const atOnce = buildStack({ api: { rollout: false } });
    atOnce.template.resourceCountIs('AWS::CodeDeploy::DeploymentGroup', 0);
    atOnce.template.resourceCountIs('AWS::Lambda::Alias', ownFunctions.length);
    expect(atOnce.stack.api.rollout).toBeUndefined();
  });
});

describe('state machine versions and alias', () => {
  const smId = stateMachineId(template);
  const [versionId, version] = Object.entries(template.findResources('AWS::StepFunctions::StateMachineVersion'))[0]!;
  const [aliasKey, alias] = Object.entries(template.findResources('AWS::StepFunctions::StateMachineAlias'))[0]!;

  it('publishes a version per definition (its revision id), kept when the next one replaces it', () => {
    expect(version.Properties).toMatchObject({
      StateMachineArn: { Ref: smId },
      StateMachineRevisionId: { 'Fn::GetAtt': [smId, 'StateMachineRevisionId'] },
    });
    expect(version.UpdateReplacePolicy).toBe('Retain');
    expect(version.DeletionPolicy).toBe('Retain');
  });

  it("moves the 'live' alias to it as a canary (10 % for 5 minutes), rolled back by the workflow's and the worker functions' alarms", () => {
    const preference = alias.Properties.DeploymentPreference;
    expect(alias.Properties.Name).toBe('live');
    expect(preference).toMatchObject({ StateMachineVersionArn: { 'Fn::GetAtt': [versionId, 'Arn'] }, Type: 'CANARY', Percentage: 10, Interval: 5 });
    const watched = preference.Alarms.map((ref: Json) => alarmName(ref));
    expect(watched.filter((n: string) => n.includes('-Workflow-'))).toHaveLength(3);
    expect(watched.some((n: string) => n.includes('CountPrimesFunction-Fault-Count-Critical'))).toBe(true);
  });

  it('submit and the sweeper start executions through the alias; the grant stays on the state machine (AWS authorizes qualified starts against it)', () => {
    for (const name of ['submit-task', 'sweep-tasks']) {
      expect(resources[functionId(template, name)]!.Properties.Environment.Variables.STATE_MACHINE_ARN).toEqual({ 'Fn::GetAtt': [aliasKey, 'Arn'] });
    }
  });

  it('takes the workflow deployment as a prop: linear steps, or all at once', () => {
    const linear = buildStack({ api: { rollout: { workflow: { type: 'LINEAR', percentage: 20, interval: Duration.minutes(2) } } } }).template;
    expect(Object.values(linear.findResources('AWS::StepFunctions::StateMachineAlias'))[0]!.Properties.DeploymentPreference).toMatchObject({
      Type: 'LINEAR',
      Percentage: 20,
      Interval: 2,
    });
    const atOnce = buildStack({ api: { rollout: false } }).template;
    const preference = Object.values(atOnce.findResources('AWS::StepFunctions::StateMachineAlias'))[0]!.Properties.DeploymentPreference;
    expect(preference.Type).toBe('ALL_AT_ONCE');
    expect(preference).not.toHaveProperty('Alarms');
  });
});
