/**
 * TaskRollout: how a deploy reaches traffic, and how a bad one goes back.
 * - Each function's `live` alias (what API Gateway, event sources and rules invoke) moves to the new
 *   version through CodeDeploy, a canary by default; the function's critical alarms stop the move
 *   and roll the alias back.
 * - The state machine's `live` alias (what submit and the sweeper start executions with) moves to the
 *   new version through Step Functions' own deployment preference; the workflow's alarms roll it back.
 *   Tasks already running keep the version they started on.
 * new version --(alias: 10 % for 5 min, alarms quiet?)--> 100 %   |   alarm --> alias back, deploy fails
 */
import { Duration, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** How the state machine's alias moves to a new version (Step Functions deployment preference). */
export interface WorkflowDeployment {
  /** `ALL_AT_ONCE`; `CANARY`: `percentage` for `interval`, then all; `LINEAR`: `percentage` more every `interval`. */
  readonly type: 'ALL_AT_ONCE' | 'CANARY' | 'LINEAR';
  /** Share of new executions on the new version per step (1 to 99). @default 10 */
  readonly percentage?: number;
  /** Time between steps (1 minute to 35 hours). @default Duration.minutes(5) */
  readonly interval?: Duration;
}

/** How a deploy reaches traffic (see lib/task-api/rollout.ts). */
export interface RolloutOptions {
  /** How each function's `live` alias moves to a new version. @default codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES */
  readonly functions?: codedeploy.ILambdaDeploymentConfig;
  /** How the state machine's `live` alias moves to a new version. @default { type: 'CANARY', percentage: 10, interval: Duration.minutes(5) } */
  readonly workflow?: WorkflowDeployment;
}

/** A function's alias and the alarms that stop its rollout. */
export interface GuardedAlias {
  /** The alias callers invoke. */
  readonly alias: lambda.Alias;
  /** Any of these in ALARM during the rollout rolls the alias back. */
  readonly alarms: readonly cloudwatch.IAlarm[];
}

/** What {@link TaskRollout} receives. */
export interface TaskRolloutProps extends RolloutOptions {
  /** The functions' aliases and their alarms. */
  readonly aliases: readonly GuardedAlias[];
  /** The state machine's alias (TaskWorkflow's `alias`). */
  readonly workflowAlias: sfn.CfnStateMachineAlias;
  /** Alarms that roll the state machine's alias back (the workflow's, the worker functions'). */
  readonly workflowAlarms: readonly cloudwatch.IAlarm[];
}

/** Gradual deployments: CodeDeploy for the functions' aliases, a deployment preference for the state machine's. */
export class TaskRollout extends Construct {
  /** The CodeDeploy application of the functions' deployment groups. */
  public readonly application: codedeploy.LambdaApplication;
  /** One deployment group per function. */
  public readonly deploymentGroups: codedeploy.LambdaDeploymentGroup[] = [];

  constructor(scope: Construct, id: string, props: TaskRolloutProps) {
    super(scope, id);
    this.application = new codedeploy.LambdaApplication(this, 'Application');
    // One role for every group (CodeDeploy's own policy for Lambda, the Limited variant).
    const role = new iam.Role(this, 'DeploymentRole', { assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com') });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
      reason:
        "CodeDeploy's own least-privilege policy for Lambda deployments (the Limited variant: read and move aliases, read alarms, invoke hooks named CodeDeployHook_*), which CDK attaches to every Lambda deployment group.",
    });
    for (const { alias, alarms } of props.aliases) {
      this.deploymentGroups.push(
        new codedeploy.LambdaDeploymentGroup(this, `${alias.lambda.node.id}Deployment`, {
          application: this.application,
          alias,
          role,
          deploymentConfig: props.functions ?? codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
          alarms: [...alarms],
          autoRollback: { failedDeployment: true, deploymentInAlarm: alarms.length > 0 },
        }),
      );
    }
    const workflow = props.workflow ?? { type: 'CANARY' };
    const preference = props.workflowAlias.deploymentPreference as sfn.CfnStateMachineAlias.DeploymentPreferenceProperty;
    props.workflowAlias.deploymentPreference = {
      stateMachineVersionArn: preference.stateMachineVersionArn,
      type: workflow.type,
      ...(workflow.type !== 'ALL_AT_ONCE' && {
        percentage: workflow.percentage ?? 10,
        interval: (workflow.interval ?? Duration.minutes(5)).toMinutes(),
        ...(props.workflowAlarms.length > 0 && { alarms: props.workflowAlarms.map((alarm) => alarm.alarmName) }),
      }),
    };
  }
}

/** Checks the workflow deployment's numbers (at synth, with precise messages). */
export function validateWorkflowDeployment(where: string, deployment: WorkflowDeployment | undefined): void {
  if (!deployment || deployment.type === 'ALL_AT_ONCE') return;
  const { percentage, interval } = deployment;
  if (percentage !== undefined && (!Number.isInteger(percentage) || percentage < 1 || percentage > 99)) {
    throw new Error(`${where}: rollout.workflow.percentage must be an integer from 1 to 99 (got ${percentage}).`);
  }
  if (interval !== undefined && !interval.isUnresolved()) {
    const minutes = interval.toMinutes({ integral: false });
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 2100) {
      throw new Error(`${where}: rollout.workflow.interval must be a whole number of minutes from 1 to 2100 (got ${interval.toHumanString()}).`);
    }
  }
}
