/**
 * The delivery pipeline (CDK Pipelines), in the toolchain account:
 *   source (a GitHub connection) --> Synth (npm ci, unit and construct tests, cdk synth with cdk-nag:
 *   a finding fails it) --> Staging: Diff, deploy, Smoke (`npm run smoke` as the smoke consumer)
 *   --> Production: Diff, manual approval, deploy
 * It updates itself first (self-mutation), so a change to this file is live on the next run.
 */
import { type App, CfnOutput, Stack, type StackProps, Stage, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { LongrunStack } from '../lib/demo/longrun-stack.ts';
import { SMOKE_CONSUMER, type StageConfig, stackPropsOf, stageConfig, targetFromContext } from './stages.ts';

/** The CDK bootstrap qualifier of the target accounts (`cdk bootstrap` default). */
const BOOTSTRAP_QUALIFIER = 'hnb659fds';

/** Lets a role of another account read one API key's value (the smoke test's), and nothing else. */
class SmokeTestAccess extends Construct {
  /** Assumed by the pipeline's smoke step. */
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: { apiKeyId: string; trustedAccount: string; roleName: string }) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: 'Read by the delivery pipeline: the smoke consumer API key value, to run the smoke test',
      assumedBy: new iam.AccountPrincipal(props.trustedAccount),
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['apigateway:GET'],
        resources: [`arn:${stack.partition}:apigateway:${stack.region}::/apikeys/${props.apiKeyId}`],
      }),
    );
  }
}

/** One stage of Longrun as a pipeline deploys it: the stack, and for staging the smoke test's access. */
export class LongrunStage extends Stage {
  /** The stage's stack. */
  public readonly stack: LongrunStack;
  /** The role the smoke step assumes, when the stage has a smoke consumer. */
  public readonly smokeRoleArn?: string;

  constructor(scope: Construct, id: string, config: StageConfig, pipelineAccount: string) {
    super(scope, id, { env: { account: config.target.account, region: config.target.region } });
    this.stack = new LongrunStack(this, 'Longrun', stackPropsOf(config));
    const smokeKey = this.stack.api.apiKeys[SMOKE_CONSUMER];
    if (smokeKey) {
      const access = new SmokeTestAccess(this.stack, 'SmokeTestAccess', {
        apiKeyId: smokeKey.keyId,
        trustedAccount: pipelineAccount,
        roleName: smokeRoleName(config),
      });
      new CfnOutput(this.stack, 'SmokeTestRoleArn', { value: access.role.roleArn });
      this.smokeRoleArn = `arn:aws:iam::${config.target.account}:role/${smokeRoleName(config)}`;
    }
  }
}

function smokeRoleName(config: StageConfig): string {
  return `${config.stackName}-smoke-test`;
}

export interface PipelineStackProps extends StackProps {
  /** The GitHub repository, `owner/name`. */
  readonly repository: string;
  /** @default 'main' */
  readonly branch?: string;
  /** The CodeStar (CodeConnections) connection to GitHub, created once in the console (it needs a person to authorize it). */
  readonly connectionArn: string;
  /** The staging stage (with the smoke consumer). */
  readonly staging: StageConfig;
  /** The production stage. */
  readonly production: StageConfig;
}

/** The pipeline: synth (tests, cdk-nag) --> staging (diff, deploy, smoke) --> production (diff, approval, deploy). */
export class PipelineStack extends Stack {
  /** The CDK pipeline. */
  public readonly pipeline: pipelines.CodePipeline;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const source = pipelines.CodePipelineSource.connection(props.repository, props.branch ?? 'main', { connectionArn: props.connectionArn });
    const synth = new pipelines.ShellStep('Synth', {
      input: source,
      commands: [
        'npm ci --no-audit --no-fund',
        // Unit and construct tests: cdk-nag, pinned logical ids, one index change per deploy, figures.
        'npm run test:unit',
        // cdk-nag runs again as the synth's validation plugin: a finding fails the step.
        'npx cdk synth -a "npx tsx bin/pipeline.ts"',
      ],
      primaryOutputDirectory: 'cdk.out',
    });
    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      pipelineName: 'Longrun',
      synth,
      // Stages live in other accounts: artifacts are encrypted with a key they may use.
      crossAccountKeys: true,
      enableKeyRotation: true,
      codeBuildDefaults: {
        buildEnvironment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, computeType: codebuild.ComputeType.MEDIUM },
        partialBuildSpec: codebuild.BuildSpec.fromObject({ phases: { install: { 'runtime-versions': { nodejs: 22 } } } }),
      },
    });

    const staging = new LongrunStage(this, 'Staging', props.staging, this.account);
    const stagingSmoke = staging.smokeRoleArn;
    if (!stagingSmoke) throw new Error(`PipelineStack: the staging stage needs a consumer named '${SMOKE_CONSUMER}' for the smoke test.`);
    this.pipeline.addStage(staging, {
      pre: [this.diff('DiffStaging', staging, synth, source)],
      post: [
        new pipelines.CodeBuildStep('Smoke', {
          input: source,
          envFromCfnOutputs: { API_URL: staging.stack.apiUrlOutput, SMOKE_KEY_ID: staging.stack.apiKeyIdOutputs[SMOKE_CONSUMER]! },
          env: { SMOKE_ROLE_ARN: stagingSmoke },
          rolePolicyStatements: [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [stagingSmoke] })],
          commands: [
            'npm ci --no-audit --no-fund',
            // The smoke consumer's key, read as the role the staging stack gives this step (POSIX sh: tab-separated text).
            'CREDS="$(aws sts assume-role --role-arn "$SMOKE_ROLE_ARN" --role-session-name smoke --query "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]" --output text)"',
            'export AWS_ACCESS_KEY_ID="$(echo "$CREDS" | cut -f1)" AWS_SECRET_ACCESS_KEY="$(echo "$CREDS" | cut -f2)" AWS_SESSION_TOKEN="$(echo "$CREDS" | cut -f3)"',
            'SMOKE_KEY="$(aws apigateway get-api-key --api-key "$SMOKE_KEY_ID" --include-value --query value --output text)"',
            'npm run smoke -- --url "$API_URL" --api-key "$SMOKE_KEY" --timeout 300',
          ],
        }),
      ],
    });

    const production = new LongrunStage(this, 'Production', props.production, this.account);
    const productionDiff = this.diff('DiffProduction', production, synth, source);
    const approval = new pipelines.ManualApprovalStep('PromoteToProduction', {
      comment: 'Staging passed the smoke test. Read the production diff (DiffProduction) before approving.',
    });
    approval.addStepDependency(productionDiff);
    this.pipeline.addStage(production, { pre: [productionDiff, approval] });

    this.pipeline.buildPipeline();
    this.acknowledgeNagFindings();
  }

  /** `cdk diff` of a stage against what is deployed, as the target account's read-only lookup role (bootstrapped with --trust). */
  private diff(id: string, stage: LongrunStage, synth: pipelines.ShellStep, source: pipelines.IFileSetProducer): pipelines.CodeBuildStep {
    const { account, region } = stage;
    return new pipelines.CodeBuildStep(id, {
      input: source,
      additionalInputs: { 'cdk.out': synth },
      rolePolicyStatements: [
        new iam.PolicyStatement({
          actions: ['sts:AssumeRole'],
          resources: [`arn:aws:iam::${account}:role/cdk-${BOOTSTRAP_QUALIFIER}-lookup-role-${account}-${region}`],
        }),
      ],
      commands: [
        'npm ci --no-audit --no-fund',
        // Templates only (no change set, which would need the deploy role): what this deploy changes.
        `npx cdk diff --app cdk.out/${stage.artifactId} --no-change-set`,
      ],
    });
  }

  /**
   * cdk-nag acknowledgments for what CDK Pipelines builds (the roles of its actions, its artifact
   * bucket and CodeBuild projects), each finding by its exact id, with its reason.
   */
  private acknowledgeNagFindings(): void {
    const { account, region } = this;
    const projects = this.pipeline.node.findAll().filter((c): c is codebuild.CfnProject => c instanceof codebuild.CfnProject);
    const perProject = projects.flatMap((project) => {
      const id = this.getLogicalId(project);
      return [
        `arn:aws:codebuild:${region}:${account}:report-group/<${id}>-*`,
        `arn:aws:logs:${region}:${account}:log-group:/aws/codebuild/<${id}>:*`,
      ];
    });
    const artifactsBucket = this.pipeline.node.findAll().find((c) => c instanceof s3.CfnBucket) as s3.CfnBucket;
    const wildcards = [
      // Grants on the artifact bucket and its key, by CDK's grant helpers.
      ...['kms:GenerateDataKey*', 'kms:ReEncrypt*', 's3:Abort*', 's3:DeleteObject*', 's3:GetBucket*', 's3:GetObject*', 's3:List*'].map(
        (a) => `Action::${a}`,
      ),
      `Resource::<${this.getLogicalId(artifactsBucket)}.Arn>/*`,
      // Self-mutation and asset publishing: CloudFormation reads, and the bootstrap roles of every target account.
      'Resource::*',
      `Resource::arn:*:iam::${account}:role/*`,
      // CodeBuild's report groups and log groups, named per project (the asset role: for every project).
      `Resource::arn:aws:codebuild:${region}:${account}:report-group/*`,
      `Resource::arn:aws:logs:${region}:${account}:log-group:/aws/codebuild/*`,
      ...perProject.map((resource) => `Resource::${resource}`),
    ];
    Validations.of(this.pipeline).acknowledge(
      ...wildcards.map((finding) => ({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason:
          "CDK Pipelines' own roles: the artifact bucket's objects and key (one prefix per run), the bootstrap roles of the target accounts, CodeBuild's report groups and log streams (named per build).",
      })),
    );
    Validations.of(artifactsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The artifact bucket holds build artifacts only, written and read by this pipeline (encrypted with its key); CloudTrail records its API calls.',
    });
  }
}

/** The pipeline app: its stack from context (see bin/pipeline.ts), checked by cdk-nag at synth. */
export function pipelineApp(app: App): PipelineStack {
  const read = (key: string): unknown => app.node.tryGetContext(key);
  const required = (key: string): string => {
    const value = read(key);
    if (value === undefined || value === '') throw new Error(`The pipeline needs context ${key} (-c ${key}=… or in cdk.json).`);
    return String(value);
  };
  const branch = read('pipeline.branch');
  const stack = new PipelineStack(app, 'LongrunPipeline', {
    env: { account: required('pipeline.account'), region: required('pipeline.region') },
    repository: required('pipeline.repository'),
    ...(branch !== undefined && { branch: String(branch) }),
    connectionArn: required('pipeline.connectionArn'),
    staging: stageConfig('staging', targetFromContext(read, 'staging', false)),
    production: stageConfig('prod', targetFromContext(read, 'prod', false)),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}
