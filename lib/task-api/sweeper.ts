/**
 * TaskSweeper: a scheduled Lambda that brings every open task to its outcome, whatever was lost
 * on the way (a status event, a submit that died before StartExecution, a failed StopExecution).
 * EventBridge schedule (rate) --> sweep-tasks Lambda --> open-task index, DescribeExecution,
 * StartExecution / StopExecution, conditional UpdateItem.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { OPEN_INDEX } from '../../lambdas/domain/open-index.ts';
import { liveAlias, longrunFunction } from './function.ts';
import { allow, nagResourceText } from './grants.ts';
import type { ExpressWorkflow } from './workflow.ts';

/** The sweeper function, in `AsyncTaskApi.functions`. */
export const SWEEPER_FUNCTION = 'sweep-tasks';

/** What {@link TaskSweeper} receives. */
export interface TaskSweeperProps {
  /** The task table. */
  readonly table: dynamodb.ITable;
  /** The task workflow's state machine. */
  readonly stateMachine: sfn.IStateMachine;
  /** The ARN the sweeper starts executions with (TaskWorkflow's `aliasArn`). @default - the state machine itself */
  readonly startExecutionArn?: string;
  /** The ARN pattern of the state machine's executions (described and stopped by the sweeper). */
  readonly executionsArn: string;
  /** The Express state machine of the short task types: the sweeper starts them there, and times them out by a deadline. @default - none */
  readonly express?: ExpressWorkflow;
  /** Environment shared by every task function (table name, retention, …). */
  readonly environment: Record<string, string>;
  /** Retention of the log groups this part creates. */
  readonly logRetention: logs.RetentionDays;
  /** Encrypts the log group. @default - CloudWatch Logs' own encryption */
  readonly encryptionKey?: kms.IKey;
  /** How often the sweeper runs. @default Duration.minutes(5) */
  readonly interval?: Duration;
  /**
   * How long an open task waits (since submit, or since its last check) before the sweeper checks
   * it; longer than any submit can take. @default Duration.minutes(5)
   */
  readonly age?: Duration;
}

/**
 * The sweeper: on a schedule, every open task that waited longer than `age` is checked against its
 * execution (DescribeExecution) and brought to its outcome, so no task stays pending or running forever.
 */
export class TaskSweeper extends Construct {
  /** The sweeper function (`sweep-tasks`). */
  public readonly sweepFunction: lambda.Function;
  /** The schedule that runs `sweepFunction`. */
  public readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: TaskSweeperProps) {
    super(scope, id);
    const interval = props.interval ?? Duration.minutes(5);
    const age = props.age ?? Duration.minutes(5);
    this.sweepFunction = longrunFunction(this, 'SweepTasksFunction', {
      name: SWEEPER_FUNCTION,
      environment: {
        ...props.environment,
        STATE_MACHINE_ARN: props.startExecutionArn ?? props.stateMachine.stateMachineArn,
        SWEEP_AGE_SECONDS: String(age.toSeconds()),
        ...(props.express && {
          EXPRESS_STATE_MACHINE_ARN: props.express.stateMachine.stateMachineArn,
          EXPRESS_TIMEOUT_SECONDS: String(props.express.timeout.toSeconds()),
        }),
      },
      // A run stops starting work 5 s before this (SWEEP_SAFETY_MS); the rest stays due.
      timeout: Duration.minutes(1),
      description: 'Sweeper: brings open tasks whose status event or start was lost to their outcome',
      logRetention: props.logRetention,
      encryptionKey: props.encryptionKey,
    });
    const fn = this.sweepFunction;
    allow(fn, ['dynamodb:Query'], [`${props.table.tableArn}/index/${OPEN_INDEX.name}`]);
    // GetItem: a pending task's input, to start it; UpdateItem: conditional transitions and bookkeeping.
    allow(fn, ['dynamodb:GetItem', 'dynamodb:UpdateItem'], [props.table.tableArn]);
    allow(fn, ['states:StartExecution'], [props.stateMachine.stateMachineArn]);
    allow(fn, ['states:DescribeExecution', 'states:StopExecution'], [props.executionsArn]);
    // Express executions are started, never described nor stopped (neither exists for Express).
    if (props.express) allow(fn, ['states:StartExecution'], [props.express.stateMachine.stateMachineArn]);

    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Runs the task sweeper',
      schedule: events.Schedule.rate(interval),
      // A missed run is not worth retrying: the next one does the same work.
      targets: [new targets.LambdaFunction(liveAlias(fn), { retryAttempts: 0 })],
    });

    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResourceText(this, props.executionsArn)}]`,
        reason:
          'DescribeExecution and StopExecution are limited to executions of this one state machine; executions are named after task ids, so no narrower ARN exists at deploy time.',
      });
    }
  }
}
