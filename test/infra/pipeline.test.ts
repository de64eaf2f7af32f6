/**
 * The example delivery pipeline (bin/pipeline.ts), synthesized with example accounts, not deployed:
 * synth (tests, cdk-nag) --> staging (diff, deploy, smoke as the smoke consumer) --> production
 * (diff, approval, deploy); every stack of the app passes cdk-nag.
 */
import { App, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { LongrunStage, pipelineApp } from '../../bin/pipeline-stack.ts';
import { CDK_JSON_CONTEXT } from './fixture.ts';

type Json = Record<string, any>;

const TOOLCHAIN = '111111111111';
const CONTEXT = {
  'pipeline.account': TOOLCHAIN,
  'pipeline.region': 'eu-west-1',
  'pipeline.repository': 'example/longrun',
  'pipeline.connectionArn': `arn:aws:codeconnections:eu-west-1:${TOOLCHAIN}:connection/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`,
  'staging.account': '222222222222',
  'staging.region': 'eu-west-1',
  'staging.runbookUrl': 'https://wiki.example.com/longrun/operations',
  'prod.account': '333333333333',
  'prod.region': 'eu-west-1',
  'prod.runbookUrl': 'https://wiki.example.com/longrun/operations',
};

function build(context: Record<string, string> = CONTEXT) {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
  return { app, stack: pipelineApp(app) };
}

const { app, stack } = build();
const template = Template.fromStack(stack);
const resources = template.toJSON().Resources as Record<string, Json>;
const pipeline = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0]!.Properties as Json;
const stages = (pipeline.Stages as Json[]).map((s) => ({
  name: s.Name as string,
  actions: (s.Actions as Json[]).map((a) => ({ name: a.Name as string, order: a.RunOrder as number, a })),
}));
const stageNamed = (name: string) => stages.find((s) => s.name === name)!;
/** The build commands of a CodeBuild action, one per line. */
const commandsOf = (action: Json): string => {
  const projectId = action.Configuration.ProjectName.Ref as string;
  const spec = JSON.parse(resources[projectId]!.Properties.Source.BuildSpec) as { phases: { build: { commands: string[] } } };
  return spec.phases.build.commands.join('\n');
};

describe('the delivery pipeline', () => {
  it('runs source, synth, self-update, assets, staging, production, in that order', () => {
    expect(stages.map((s) => s.name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'Staging', 'Production']);
    expect(pipeline.PipelineType).toBe('V2');
  });

  it('synth installs, runs the unit and construct tests (cdk-nag, logical ids, indexes, figures), then cdk synth with cdk-nag', () => {
    const commands = commandsOf(stageNamed('Build').actions[0]!.a);
    const order = ['npm ci', 'npm run test:unit', 'npx cdk synth -a "npx tsx bin/pipeline.ts"'].map((c) => commands.indexOf(c));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('staging: a diff, the deploy, then the smoke test', () => {
    const names = stageNamed('Staging').actions.map((a) => `${a.order} ${a.name}`);
    expect(names).toEqual(['1 DiffStaging', '2 Longrun-staging.Prepare', '3 Longrun-staging.Deploy', '4 Smoke']);
    expect(commandsOf(stageNamed('Staging').actions[0]!.a)).toContain('npx cdk diff --app cdk.out/assembly-LongrunPipeline-Staging --no-change-set');
  });

  it('the smoke test runs npm run smoke as the smoke consumer, reading its key through the one role staging gives it', () => {
    const smoke = stageNamed('Staging').actions.find((a) => a.name === 'Smoke')!.a;
    const commands = commandsOf(smoke);
    expect(commands).toContain('npm run smoke -- --url "$API_URL" --api-key "$SMOKE_KEY"');
    expect(commands).toContain('aws apigateway get-api-key --api-key "$SMOKE_KEY_ID" --include-value');
    // The key is read after the role is assumed, and used in that shell only.
    expect(commands.indexOf('aws sts assume-role')).toBeLessThan(commands.indexOf('get-api-key'));
    // From the staging stack's outputs, at run time.
    const env = JSON.parse(smoke.Configuration.EnvironmentVariables) as Json[];
    expect(env.map((e) => e.name).sort()).toEqual(['API_URL', 'SMOKE_KEY_ID']);
    expect(env.find((e) => e.name === 'SMOKE_KEY_ID')!.value).toMatch(/ApiKeyIdsmoke/);
    // Known at synth: the role's name is fixed by the staging stack.
    const project = resources[smoke.Configuration.ProjectName.Ref]!.Properties.Environment.EnvironmentVariables as Json[];
    expect(project).toContainEqual({ Name: 'SMOKE_ROLE_ARN', Type: 'PLAINTEXT', Value: 'arn:aws:iam::222222222222:role/Longrun-staging-smoke-test' });
  });

  it('production: a diff, the manual approval after it, then the deploy', () => {
    const names = stageNamed('Production').actions.map((a) => `${a.order} ${a.name}`);
    expect(names).toEqual(['1 DiffProduction', '2 PromoteToProduction', '3 Longrun-prod.Prepare', '4 Longrun-prod.Deploy']);
    expect(stageNamed('Production').actions[1]!.a.ActionTypeId).toMatchObject({ Category: 'Approval', Provider: 'Manual' });
  });

  it('diffs as the target account’s lookup role, nothing more', () => {
    const diffRoles = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Json[])
      .filter((s) => s.Action === 'sts:AssumeRole' && JSON.stringify(s.Resource).includes('lookup-role'));
    expect(diffRoles.map((s) => s.Resource).sort()).toEqual([
      'arn:aws:iam::222222222222:role/cdk-hnb659fds-lookup-role-222222222222-eu-west-1',
      'arn:aws:iam::333333333333:role/cdk-hnb659fds-lookup-role-333333333333-eu-west-1',
    ]);
  });

  it('deploys staging and prod into their accounts; only staging has the smoke consumer and its role; prod is protected', () => {
    const byStage = Object.fromEntries(stack.node.children.filter((c): c is LongrunStage => c instanceof LongrunStage).map((s) => [s.node.id, s]));
    expect(Object.keys(byStage).sort()).toEqual(['Production', 'Staging']);
    expect([byStage.Staging!.stack.account, byStage.Production!.stack.account]).toEqual(['222222222222', '333333333333']);
    expect(byStage.Production!.stack.terminationProtection).toBe(true);
    const staging = Template.fromStack(byStage.Staging!.stack);
    staging.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'Longrun-staging-smoke-test',
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${TOOLCHAIN}:root` } }] },
    });
    const smokePolicy = Object.values(staging.findResources('AWS::IAM::Policy')).find((p) => JSON.stringify(p).includes('apigateway:GET'))!;
    expect(JSON.stringify(smokePolicy.Properties.PolicyDocument.Statement)).toMatch(
      /apigateway:eu-west-1::\/apikeys\/",\{"Ref":"TaskApiHttpApiKeySmoke/,
    );
    expect(JSON.stringify(Template.fromStack(byStage.Production!.stack).toJSON())).not.toContain('smoke-test');
  });

  it('passes cdk-nag in every stack of the app: the pipeline and both stages', () => {
    const stacks = [stack, ...stack.node.children.filter((c) => c instanceof Stage).flatMap((s) => s.node.children)];
    expect(stacks).toHaveLength(3);
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('needs its facts: a missing one stops the synth with its name', () => {
    const { 'pipeline.connectionArn': _, ...withoutConnection } = CONTEXT;
    expect(() => build(withoutConnection)).toThrow('The pipeline needs context pipeline.connectionArn');
    const { 'prod.runbookUrl': __, ...withoutRunbook } = CONTEXT;
    expect(() => build(withoutRunbook)).toThrow('stage prod deploys to an explicit place: set prod.runbookUrl');
  });
});
