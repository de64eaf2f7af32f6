/**
 * TaskDeadlines: `Cancel-After`. Each attempt with a deadline gets a one-time EventBridge Scheduler
 * schedule (created by submit, retry and the sweeper's start) that invokes the expire function at
 * the deadline; it fails the attempt with `deadline-exceeded` if still open and stops its execution.
 * The schedule deletes itself once it has fired; the sweeper expires an open task past its deadline
 * whose schedule never fired.
 *   submit/retry --CreateSchedule--> schedule group --at(deadline)--> expire-task --> table + StopExecution
 * Why a schedule and not a timer in the workflow: docs/api.md#deadlines (cost: bench part 5).
 */
import { ArnFormat, Names, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { liveAlias, longrunFunction } from './function.ts';
import { allow, nagResourceText } from './grants.ts';

/** The function the deadline schedules invoke, in `AsyncTaskApi.functions`. */
export const EXPIRE_FUNCTION = 'expire-task';

/** What {@link TaskDeadlines} receives. */
export interface TaskDeadlinesProps {
  /** The task table. */
  readonly table: dynamodb.ITable;
  /** The task workflow's state machine (its executions are stopped at a deadline). */
  readonly stateMachine: sfn.IStateMachine;
  /** The ARN pattern of the state machine's executions. */
  readonly executionsArn: string;
  /** Environment shared by every task function. */
  readonly environment: Record<string, string>;
  /** Retention of the log groups this part creates. */
  readonly logRetention: logs.RetentionDays;
  /** Encrypts the function's log group. @default - CloudWatch Logs' own encryption */
  readonly encryptionKey?: kms.IKey;
}

/** Deadlines: the schedule group, the role the schedules invoke with, and the expire function. */
export class TaskDeadlines extends Construct {
  /** Fails an attempt that reached its deadline, stops its execution (`expire-task`). */
  public readonly expireFunction: lambda.Function;
  /** The group of the one-time deadline schedules (one per attempt, `<task id>[-<attempt>]`). */
  public readonly scheduleGroup: scheduler.CfnScheduleGroup;
  /** The role EventBridge Scheduler invokes the expire function with. */
  public readonly schedulerRole: iam.Role;
  /** The environment a function that creates deadline schedules needs (`DEADLINE_*`). */
  public readonly schedulingEnvironment: Record<string, string>;

  private readonly schedulesArn: string;

  constructor(scope: Construct, id: string, props: TaskDeadlinesProps) {
    super(scope, id);
    this.expireFunction = longrunFunction(this, 'ExpireTaskFunction', {
      name: EXPIRE_FUNCTION,
      environment: { ...props.environment, STATE_MACHINE_ARN: props.stateMachine.stateMachineArn },
      description: 'Deadlines: fails a task that reached its deadline (deadline-exceeded) and stops its execution',
      logRetention: props.logRetention,
      encryptionKey: props.encryptionKey,
    });
    allow(this.expireFunction, ['dynamodb:UpdateItem'], [props.table.tableArn]);
    allow(this.expireFunction, ['states:StopExecution'], [props.executionsArn]);
    if (this.expireFunction.role) {
      Validations.of(this.expireFunction.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResourceText(this, props.executionsArn)}]`,
        reason:
          'StopExecution is limited to executions of this one state machine; executions are named after task ids, so no narrower ARN exists at deploy time.',
      });
    }

    this.scheduleGroup = new scheduler.CfnScheduleGroup(this, 'ScheduleGroup', {
      name: Names.uniqueResourceName(this, { maxLength: 64, separator: '-' }),
    });
    const stack = Stack.of(this);
    this.schedulesArn = stack.formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${this.scheduleGroup.ref}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'EventBridge Scheduler invokes the expire function with it, at a task deadline',
    });
    // Through its `live` alias, as every other caller: a gradual deploy gates the expirer too. The
    // function itself stays allowed for the schedules made before (they named it; each fires once).
    const expirer = liveAlias(this.expireFunction);
    allow(this.schedulerRole, ['lambda:InvokeFunction'], [expirer.functionArn, this.expireFunction.functionArn]);
    this.schedulingEnvironment = {
      DEADLINE_SCHEDULE_GROUP: this.scheduleGroup.ref,
      DEADLINE_FUNCTION_ARN: expirer.functionArn,
      DEADLINE_ROLE_ARN: this.schedulerRole.roleArn,
    };
  }

  /** Lets `fn` create deadline schedules in the group (and hand them the scheduler role), and tells it where. */
  public grantScheduling(fn: lambda.Function): void {
    allow(fn, ['scheduler:CreateSchedule'], [this.schedulesArn]);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    for (const [name, value] of Object.entries(this.schedulingEnvironment)) fn.addEnvironment(name, value);
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResourceText(this, this.schedulesArn)}]`,
        reason:
          'CreateSchedule is limited to the deadline schedule group of this API; schedules are named after task ids, so no narrower ARN exists at deploy time.',
      });
    }
  }
}
