/**
 * TaskCompensation: the optional compensation chain in a Standard state machine of its own. One
 * execution per attempt that ended cancelled (or failed, if configured), started by the backstop
 * (or the sweeper) once the attempt's execution has ended, named like that execution.
 *   chain --> RecordCompensation (compensation: succeeded);  any chain error --> RecordCompensationFailure --> Failed
 */
import { Duration, Names, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { compensationOutcomeExpression } from '../../lambdas/domain/compensation.ts';
import type { TaskStatus } from '../../lambdas/domain/task.ts';
import { ENTERED_TIME, EXECUTION_ATTEMPT, updateTaskStep } from './update-task.ts';
import { RECORD_RETRY } from './workflow.ts';

/** The compensation of an `AsyncTaskApi`. */
export interface CompensationOptions {
  /**
   * The chain that rolls back what a task changed. Its input: `{ taskId, type, attempt, status,
   * input, progress }` (`status` is how the attempt ended; `progress` the last one reported); its
   * output is not kept. Every Task, Parallel and Map state at its top level gets a Catch that records
   * the compensation as failed.
   */
  readonly chain: sfn.IChainable;
  /** Compensate failed attempts too (a worker's failure, `deadline-exceeded`, a timeout), not only cancelled ones. @default false */
  readonly onFailure?: boolean;
  /** Longest a compensation may run. @default Duration.hours(1) */
  readonly timeout?: Duration;
}

/** What {@link TaskCompensation} receives. */
export interface TaskCompensationProps extends CompensationOptions {
  /** The task table (the compensation's state is recorded on the task). */
  readonly table: dynamodb.ITable;
  /** Retention of the state machine's log group. */
  readonly logRetention: logs.RetentionDays;
  /** What the state machine logs. @default sfn.LogLevel.ERROR */
  readonly logLevel?: sfn.LogLevel;
  /** Encrypts execution data and the log group. @default - AWS owned keys */
  readonly encryptionKey?: kms.IKey;
}

/** Names of the states the construct adds after the compensation chain. */
export const COMPENSATION_STATES = {
  /** Records `compensation: succeeded` on the task once the chain ran. */
  recordCompensation: 'RecordCompensation',
  /** Records `compensation: failed` when the chain failed. */
  recordCompensationFailure: 'RecordCompensationFailure',
  /** Ends the execution failed once the chain failed (recorded, or not recordable). */
  compensationFailed: 'CompensationFailed',
  /** Ends the execution when there is nothing to record (the task was purged meanwhile, or an earlier run recorded it). */
  compensationRecorded: 'CompensationAlreadyRecorded',
} as const;

/** The compensation workflow: the chain, then its outcome recorded on the task. */
export class TaskCompensation extends Construct {
  /** The state machine; one execution per compensated attempt. */
  public readonly stateMachine: sfn.StateMachine;
  /** The task statuses that are compensated (`COMPENSATE_ON`). */
  public readonly compensateOn: TaskStatus[];

  constructor(scope: Construct, id: string, props: TaskCompensationProps) {
    super(scope, id);
    this.compensateOn = props.onFailure ? ['cancelled', 'failed'] : ['cancelled'];
    const record = (name: string, status: 'succeeded' | 'failed') =>
      updateTaskStep(this, name, props.table, compensationOutcomeExpression(), {
        ':compensation': tasks.DynamoAttributeValue.fromMap({
          status: tasks.DynamoAttributeValue.fromString(status),
          completedAt: ENTERED_TIME(),
        }),
        ':attempt': EXECUTION_ATTEMPT(),
        ':history': tasks.DynamoAttributeValue.fromList([
          tasks.DynamoAttributeValue.fromMap({
            at: ENTERED_TIME(),
            status: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.Execution.Input.status')),
            event: tasks.DynamoAttributeValue.fromString('compensated'),
            detail: tasks.DynamoAttributeValue.fromString(status),
          }),
        ]),
      });
    const recordCompensation = record(COMPENSATION_STATES.recordCompensation, 'succeeded');
    const recordFailure = record(COMPENSATION_STATES.recordCompensationFailure, 'failed');
    const failed = new sfn.Fail(this, COMPENSATION_STATES.compensationFailed, {
      error: 'CompensationFailed',
      cause: 'The compensation chain failed.',
    });
    // Purged meanwhile, or recorded by an earlier run: nothing to record.
    const alreadyRecorded = new sfn.Succeed(this, COMPENSATION_STATES.compensationRecorded);
    recordCompensation.addCatch(alreadyRecorded, { errors: ['DynamoDB.ConditionalCheckFailedException'], resultPath: sfn.JsonPath.DISCARD });
    recordFailure.addCatch(failed, { errors: ['DynamoDB.ConditionalCheckFailedException'], resultPath: sfn.JsonPath.DISCARD });
    recordFailure.next(failed);
    for (const step of [recordCompensation, recordFailure]) step.addRetry(RECORD_RETRY);

    const chain = sfn.Chain.start(props.chain);
    for (const state of sfn.State.findReachableStates(chain.startState)) {
      if (state instanceof sfn.TaskStateBase || state instanceof sfn.Parallel || state instanceof sfn.Map || state instanceof sfn.DistributedMap) {
        state.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
      }
    }
    // As the task workflow's: under /aws/vendedlogs/, encrypted with the deployment's key when it has one.
    const logGroup = new logs.LogGroup(this, 'StateMachineLogGroup', {
      logGroupName: `/aws/vendedlogs/states/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}`,
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(chain.next(recordCompensation)),
      timeout: props.timeout ?? Duration.hours(1),
      tracingEnabled: true,
      logs: { destination: logGroup, level: props.logLevel ?? sfn.LogLevel.ERROR, includeExecutionData: false },
      ...(props.encryptionKey && { encryptionConfiguration: new sfn.CustomerManagedEncryptionConfiguration(props.encryptionKey) }),
      comment: 'Longrun compensation: rolls back what a cancelled (or failed) task changed',
    });
    (this.stateMachine.node.defaultChild as sfn.CfnStateMachine).addMetadata('Longrun:StateMachine', 'compensation');
    if ((props.logLevel ?? sfn.LogLevel.ERROR) !== sfn.LogLevel.ALL) {
      Validations.of(this.stateMachine).acknowledge({
        id: 'AwsSolutions-SF1',
        reason:
          'The log level follows workflowLogLevel (default ERROR): failures are logged, and each execution keeps its full history in Step Functions.',
      });
    }
    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSampling*) and the CloudWatch Logs delivery actions Step Functions logging needs support no resource-level permissions.',
    });
  }
}
