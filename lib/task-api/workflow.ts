/**
 * TaskWorkflow: the Standard state machine around the platform team's worker.
 * worker --> RecordSuccess (DynamoDB step); any worker Task error --> RecordFailure --> Failed;
 * RecordSuccess out of retries --> ResultLeftToBackstop (Succeed: the output is recorded by the backstop);
 * a result too large for the workflow or the table --> RecordResultTooLarge --> ResultTooLarge (Fail).
 * Both records are built from the transitions in `lambdas/domain/transitions.ts`.
 * Every deploy that changes the definition publishes a version; executions start through the `live`
 * alias, so a task runs to its end on the version it started on.
 */
import { ArnFormat, Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { resultTooLargeProblem } from '../../lambdas/domain/result-pointer.ts';
import { type TransitionExpression, transitionExpression } from '../../lambdas/domain/transitions.ts';
import { AWAIT_INPUT_FUNCTION, awaitInputStates } from './await-input.ts';
import { liveAlias, longrunFunction } from './function.ts';
import { allow } from './grants.ts';
import { EXECUTION_ATTEMPT, historyValue, updateTaskStep } from './update-task.ts';

/** Names of the states the construct adds after and around the worker. */
export const SHELL_STATES = {
  /** Records the worker's output as the result (a DynamoDB UpdateItem). */
  recordSuccess: 'RecordSuccess',
  /** Records a worker failure (the Catch on every worker state). */
  recordFailure: 'RecordFailure',
  /** A record whose condition failed: the task had already finished (cancelled meanwhile). */
  alreadyFinished: 'AlreadyFinished',
  /** Ends the execution failed, after RecordFailure. */
  failed: 'Failed',
  /** Express only: records `running` (the Standard path learns it from the RUNNING status event). */
  recordRunning: 'RecordRunning',
  /** Records `result-too-large` for a result the workflow or the table cannot hold. */
  recordResultTooLarge: 'RecordResultTooLarge',
  /** Ends the execution failed, after RecordResultTooLarge. */
  resultTooLarge: 'ResultTooLarge',
  /** Tells an item-size refusal of RecordSuccess from other errors. */
  checkRecordError: 'CheckRecordError',
  /** Ends the execution failed when RecordSuccess could not record. */
  recordSuccessFailed: 'RecordSuccessFailed',
  /**
   * RecordSuccess out of retries (throttled, DynamoDB unavailable): the execution still succeeds,
   * with the worker's output, and the backstop or the sweeper records it from there.
   */
  resultLeftToBackstop: 'ResultLeftToBackstop',
} as const;

/**
 * DynamoDB errors of the workflow's records that a later attempt may not see: throttling and 5xx.
 * Not `DynamoDB.AmazonDynamoDBException`: Step Functions names a ValidationException so (an item too large).
 */
export const RECORD_RETRY_ERRORS = [
  'DynamoDB.ProvisionedThroughputExceededException',
  'DynamoDB.ThrottlingException',
  'DynamoDB.RequestLimitExceeded',
  'DynamoDB.InternalServerError',
];

/** Backoff with full jitter: 1, 2, 4, … s (at most 30 s) over 8 attempts, about two minutes at worst. */
export const RECORD_RETRY: sfn.RetryProps = {
  errors: RECORD_RETRY_ERRORS,
  interval: Duration.seconds(1),
  maxAttempts: 8,
  backoffRate: 2,
  maxDelay: Duration.seconds(30),
  jitterStrategy: sfn.JitterType.FULL,
};

/** The alias executions start through; a rollout moves it from one version to the next. */
const WORKFLOW_ALIAS = 'live';

/** Lambda throttling of a worker Task state (CDK's LambdaInvoke already retries Lambda's 5xx). */
const WORKER_THROTTLE_RETRY: sfn.RetryProps = {
  errors: ['Lambda.TooManyRequestsException'],
  interval: Duration.seconds(1),
  maxAttempts: 6,
  backoffRate: 2,
  maxDelay: Duration.seconds(30),
  jitterStrategy: sfn.JitterType.FULL,
};
/**
 * Step Functions refuses a state output over 256 KB with `States.DataLimitExceeded`, which
 * `States.ALL` does not catch: it must be named. DynamoDB refuses an item over 400 KB with a
 * ValidationException, named `DynamoDB.AmazonDynamoDBException` by Step Functions (the local
 * stack's SDK names it `DynamoDB.ValidationException`); only its message tells it apart.
 */
const DATA_LIMIT_EXCEEDED = 'States.DataLimitExceeded';
const DYNAMODB_VALIDATION_ERRORS = ['DynamoDB.AmazonDynamoDBException', 'DynamoDB.ValidationException'];
// PutItem says "Item size has exceeded…", UpdateItem "Item size to update has exceeded…".
const ITEM_TOO_LARGE_CAUSE = '*Item size*exceeded the maximum allowed size*';

/** The Express state machine of the short task types, as submit, retry and the sweeper need it. */
export interface ExpressWorkflow {
  /** The Express state machine. */
  readonly stateMachine: sfn.IStateMachine;
  /** The task types that run on it. */
  readonly taskTypes: readonly string[];
  /** Its timeout: the sweeper's deadline for its tasks. */
  readonly timeout: Duration;
}

/** What {@link TaskWorkflow} receives. */
export interface TaskWorkflowProps {
  /** The task table the records write. */
  readonly table: dynamodb.ITable;
  /** The job: input `{ taskId, type, input }`; its output becomes the task's result. */
  readonly worker: sfn.IChainable;
  /** @default Duration.hours(1) */
  readonly timeout?: Duration;
  /** Retention of the state machine's log group. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Keep a failed task in the open-task index until its execution's end is seen (a compensation
   * after failures is started then). @default false
   */
  readonly keepFailedOpen?: boolean;
  /** Environment of the functions this part creates (the await-input function). */
  readonly environment?: Record<string, string>;
  /** What the state machine logs (`ALL` logs every state transition, and costs accordingly). @default sfn.LogLevel.ERROR */
  readonly logLevel?: sfn.LogLevel;
  /** Encrypts execution data (input, output, history) and the log group. @default - AWS owned keys */
  readonly encryptionKey?: kms.IKey;
  /**
   * Also an Express state machine of the same worker and shell (for short task types), preceded by
   * RecordRunning, since Express sends no status events. @default - none
   */
  readonly express?: {
    /** The Express state machine's timeout (at most 5 minutes). */
    readonly timeout: Duration;
  };
}

/**
 * The Standard state machine around the platform team's worker: the worker, then RecordSuccess;
 * a Catch on every worker state records failures; a result too large is recorded as such.
 */
export class TaskWorkflow extends Construct {
  /** The state machine; each task runs as one execution named after the task id. */
  public readonly stateMachine: sfn.StateMachine;
  /** The ARN of every execution of `stateMachine` (`...:execution:<name>:*`). */
  public readonly executionsArn: string;
  /** The function the worker's `awaitInput` states invoke (`await-input`), if it has any. */
  public readonly awaitInputFunction?: lambda.Function;
  /** The version the last deploy published (a new one whenever the definition changed). */
  public readonly version: sfn.CfnStateMachineVersion;
  /** The `live` alias: executions start through it (its ARN is `aliasArn`); a rollout moves it. */
  public readonly alias: sfn.CfnStateMachineAlias;
  /** The ARN of `alias`, what submit and the sweeper start executions with. */
  public readonly aliasArn: string;
  /** The state machine's log group, under `/aws/vendedlogs/states/` as AWS recommends for vended logs. */
  public readonly logGroup: logs.LogGroup;
  /** With `express`: the Express state machine (RecordRunning, then the same states), sharing the Standard's role. */
  public readonly expressStateMachine?: sfn.StateMachine;
  /** With `express`: the Express state machine's log group (under `/aws/vendedlogs/states/`). */
  public readonly expressLogGroup?: logs.LogGroup;

  private readonly table: dynamodb.ITable;

  constructor(scope: Construct, id: string, props: TaskWorkflowProps) {
    super(scope, id);
    this.table = props.table;

    const guarded = { attemptGuard: true } as const;
    const recordSuccess = this.updateTask(SHELL_STATES.recordSuccess, transitionExpression('succeeded', ['result', 'progress'], guarded), {
      ':result': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$'))),
      ':progress': tasks.DynamoAttributeValue.fromMap({ percent: tasks.DynamoAttributeValue.fromNumber(100) }),
      ':history': historyValue('succeeded', 'succeeded'),
    });
    // With a compensation after failures, a failed task stays in the open-task index until its
    // execution's end is seen (the backstop or the sweeper starts the compensation, then closes it).
    const recordFailure = this.updateTask(
      SHELL_STATES.recordFailure,
      transitionExpression('failed', ['error'], { ...guarded, keepOpen: props.keepFailedOpen ?? false }),
      {
        ':error': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.error'))),
        ':history': historyValue('failed', 'failed'),
      },
    );
    const failed = new sfn.Fail(this, SHELL_STATES.failed, { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const alreadyFinished = new sfn.Succeed(this, SHELL_STATES.alreadyFinished, {
      comment: 'The task reached a terminal status (e.g. cancelled) before the workflow did.',
    });

    // A terminal task (cancelled meanwhile) keeps its status: the condition fails and that is fine.
    recordSuccess.addCatch(alreadyFinished, {
      errors: ['DynamoDB.ConditionalCheckFailedException'],
      resultPath: '$.recordError',
    });
    // Already terminal, or out of retries: the execution fails with the worker's own error either
    // way, and in the second case the backstop records it from there.
    recordFailure.addCatch(failed, { errors: [sfn.Errors.ALL], resultPath: '$.recordError' });
    recordFailure.next(failed);
    // One throttle after an hour of work must not lose the result: retry what retrying can fix
    // (never a failed condition, which means the task is already terminal).
    for (const record of [recordSuccess, recordFailure]) record.addRetry(RECORD_RETRY);

    // A result too large to carry or to store fails the task with a problem saying what to do,
    // recorded by the workflow itself (no status event needed).
    const problem = resultTooLargeProblem();
    const resultTooLarge = new sfn.Fail(this, SHELL_STATES.resultTooLarge, {
      comment: 'The worker returned more than the workflow (256 KB) or the task record (400 KB) can carry.',
      error: 'ResultTooLarge',
      cause: problem.detail,
    });
    // It reads nothing from the state, so it works whatever the worker's output was.
    const recordResultTooLarge = this.updateTask(SHELL_STATES.recordResultTooLarge, transitionExpression('failed', ['error'], guarded), {
      ':error': tasks.DynamoAttributeValue.fromString(JSON.stringify(problem)),
      ':history': historyValue('failed', 'failed', 'result-too-large'),
    });
    recordResultTooLarge.addCatch(resultTooLarge, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
    recordResultTooLarge.addRetry(RECORD_RETRY);
    recordResultTooLarge.next(resultTooLarge);
    const recordSuccessFailed = new sfn.Fail(this, SHELL_STATES.recordSuccessFailed, { errorPath: '$.Error', causePath: '$.Cause' });
    recordSuccess.addCatch(
      new sfn.Choice(this, SHELL_STATES.checkRecordError)
        .when(sfn.Condition.stringMatches('$.Cause', ITEM_TOO_LARGE_CAUSE), recordResultTooLarge)
        .otherwise(recordSuccessFailed),
      // No resultPath: the error output replaces the state, whatever shape the result had.
      { errors: DYNAMODB_VALIDATION_ERRORS },
    );
    // Anything else, once the retries are used up: an hour of work is never lost to a throttle. The
    // state's input (the worker's output) becomes the execution's output, which the backstop records.
    recordSuccess.addCatch(
      new sfn.Succeed(this, SHELL_STATES.resultLeftToBackstop, {
        comment: 'RecordSuccess could not write the result: the execution output carries it to the backstop and the sweeper.',
      }),
      { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD },
    );

    const workerChain = sfn.Chain.start(props.worker);
    const waits = awaitInputStates(workerChain.startState);
    if (waits.length > 0) this.awaitInputFunction = this.bindAwaitInput(waits, props);
    for (const state of sfn.State.findReachableStates(workerChain.startState)) {
      if (state instanceof sfn.TaskStateBase || state instanceof sfn.Parallel || state instanceof sfn.Map || state instanceof sfn.DistributedMap) {
        state.addCatch(recordResultTooLarge, { errors: [DATA_LIMIT_EXCEEDED], resultPath: sfn.JsonPath.DISCARD });
        state.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
      }
      // A throttled Lambda invocation is retried, not recorded as the task's failure.
      if (state instanceof sfn.TaskStateBase) state.addRetry(WORKER_THROTTLE_RETRY);
    }
    const definition = workerChain.next(recordSuccess);

    // Under /aws/vendedlogs/: CloudWatch Logs' resource policy for vended logs then covers every
    // state machine with one statement instead of growing (it is limited to 5,120 characters).
    this.logGroup = new logs.LogGroup(this, 'StateMachineLogGroup', {
      logGroupName: `/aws/vendedlogs/states/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}`,
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: props.timeout ?? Duration.hours(1),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: props.logLevel ?? sfn.LogLevel.ERROR, includeExecutionData: false },
      ...(props.encryptionKey && { encryptionConfiguration: new sfn.CustomerManagedEncryptionConfiguration(props.encryptionKey) }),
    });
    (this.stateMachine.node.defaultChild as sfn.CfnStateMachine).addMetadata('Longrun:StateMachine', 'tasks');
    // A version per definition: a new revision id replaces the version resource, i.e. publishes the
    // next one. Old versions stay (a task still running on one, or redriven, needs it).
    this.version = new sfn.CfnStateMachineVersion(this, 'Version', {
      stateMachineArn: this.stateMachine.stateMachineArn,
      stateMachineRevisionId: (this.stateMachine.node.defaultChild as sfn.CfnStateMachine).attrStateMachineRevisionId,
      description: 'Published by the deploy that changed the definition; tasks started on it finish on it.',
    });
    this.version.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.alias = new sfn.CfnStateMachineAlias(this, 'LiveAlias', {
      name: WORKFLOW_ALIAS,
      description: 'What submit and the sweeper start executions with; a deploy moves it to the new version.',
      // At once unless a rollout (./rollout.ts) says otherwise.
      deploymentPreference: { stateMachineVersionArn: this.version.attrArn, type: 'ALL_AT_ONCE' },
    });
    this.aliasArn = this.alias.attrArn;
    // The states invoke the await-input function's `live` alias; the versions published before it
    // did name the function itself, and a task runs to its end on the version it started on.
    if (this.awaitInputFunction) allow(this.stateMachine, ['lambda:InvokeFunction'], [this.awaitInputFunction.functionArn]);
    this.executionsArn = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    if (props.express) {
      const express = this.buildExpress(props, props.express.timeout, sfn.Chain.start(props.worker).startState, alreadyFinished);
      this.expressStateMachine = express.stateMachine;
      this.expressLogGroup = express.logGroup;
    }

    if ((props.logLevel ?? sfn.LogLevel.ERROR) !== sfn.LogLevel.ALL) {
      Validations.of(this.stateMachine).acknowledge({
        id: 'AwsSolutions-SF1',
        reason:
          'The log level is a prop (workflowLogLevel, default ERROR): ALL writes every state transition of every task, a cost that grows with traffic; failures are logged, and each execution keeps its full history in Step Functions.',
      });
    }
    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSampling*) and the CloudWatch Logs delivery actions Step Functions logging needs support no resource-level permissions.',
    });
  }

  /**
   * The Express state machine: RecordRunning (pending -> running of this attempt; a task already
   * terminal, cancelled before it started, ends at AlreadyFinished without running the worker), then the
   * Standard definition's states as they are, catch-alls included. A state belongs to one graph in
   * the CDK, so the states are rendered as JSON, not chained again. It runs with the Standard's role
   * (the same Task states need the same permissions).
   */
  private buildExpress(
    props: TaskWorkflowProps,
    timeout: Duration,
    workerStart: sfn.State,
    alreadyFinished: sfn.State,
  ): { stateMachine: sfn.StateMachine; logGroup: logs.LogGroup } {
    const recordRunning = this.updateTask(SHELL_STATES.recordRunning, transitionExpression('running', [], { attemptGuard: true }), {
      ':history': historyValue('started', 'running'),
    });
    const shellFails = new Set<string>([SHELL_STATES.failed, SHELL_STATES.resultTooLarge, SHELL_STATES.recordSuccessFailed]);
    const states: Record<string, Record<string, unknown>> = {};
    for (const state of sfn.State.findReachableStates(workerStart, { includeErrorHandlers: true })) {
      const json = state.toStateJson() as Record<string, unknown>;
      const resource = typeof json.Resource === 'string' ? json.Resource : '';
      if (json.Type === 'Fail' && !shellFails.has(state.stateId)) {
        // No status event tells the backstop of a Fail state: its error is recorded as a worker failure's.
        states[state.stateId] = recordedFail(json);
      } else if (json.Type === 'Task' && /\.(sync|waitForTaskToken)(:\d+)?$/.test(resource)) {
        // Express runs neither (no task tokens, no .sync): only a Standard task type may reach this state.
        states[state.stateId] = unsupportedOnExpress(state.stateId);
      } else {
        states[state.stateId] = json;
      }
    }
    const running = recordRunning.toStateJson() as Record<string, unknown>;
    delete running.End;
    // Already terminal (cancelled before it started) or already running (a second run of the attempt): nothing to do.
    const definition = {
      StartAt: SHELL_STATES.recordRunning,
      States: {
        [SHELL_STATES.recordRunning]: {
          ...running,
          Next: workerStart.stateId,
          Retry: [
            {
              ErrorEquals: RECORD_RETRY_ERRORS,
              IntervalSeconds: 1,
              MaxAttempts: 4,
              BackoffRate: 2,
              MaxDelaySeconds: 10,
              JitterStrategy: 'FULL',
            },
          ],
          Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: '$.recordError', Next: alreadyFinished.stateId }],
        },
        ...states,
      },
      TimeoutSeconds: timeout.toSeconds(),
    };
    const logGroup = new logs.LogGroup(this, 'ExpressStateMachineLogGroup', {
      logGroupName: `/aws/vendedlogs/states/${Names.uniqueResourceName(this, { maxLength: 190, separator: '-' })}-express`,
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
    });
    const stateMachine = new sfn.StateMachine(this, 'ExpressStateMachine', {
      stateMachineType: sfn.StateMachineType.EXPRESS,
      definitionBody: sfn.DefinitionBody.fromString(Stack.of(this).toJsonString(definition)),
      role: this.stateMachine.role,
      tracingEnabled: true,
      logs: { destination: logGroup, level: props.logLevel ?? sfn.LogLevel.ERROR, includeExecutionData: false },
      ...(props.encryptionKey && { encryptionConfiguration: new sfn.CustomerManagedEncryptionConfiguration(props.encryptionKey) }),
    });
    (stateMachine.node.defaultChild as sfn.CfnStateMachine).addMetadata('Longrun:StateMachine', 'express');
    if ((props.logLevel ?? sfn.LogLevel.ERROR) !== sfn.LogLevel.ALL) {
      Validations.of(stateMachine).acknowledge({
        id: 'AwsSolutions-SF1',
        reason:
          'The log level is a prop (workflowLogLevel, default ERROR): ALL writes every state transition of every task, a cost that grows with traffic; failures are logged.',
      });
    }
    return { stateMachine, logGroup };
  }

  /** The await-input function, bound to every `awaitInput` state of the worker: it records the wait on this table. */
  private bindAwaitInput(waits: ReturnType<typeof awaitInputStates>, props: TaskWorkflowProps): lambda.Function {
    const fn = longrunFunction(this, 'AwaitInputFunction', {
      name: AWAIT_INPUT_FUNCTION,
      environment: { ...props.environment, TABLE_NAME: props.table.tableName },
      description: 'Records a wait for input (and its task token) on the task',
      logRetention: props.logRetention,
      encryptionKey: props.encryptionKey,
    });
    allow(fn, ['dynamodb:UpdateItem'], [props.table.tableArn]);
    // Through its `live` alias, as every other caller: a gradual deploy gates it too.
    for (const wait of waits) wait.bind(liveAlias(fn));
    return fn;
  }

  /** A DynamoDB updateItem step built from one transition of `lambdas/domain/transitions.ts`, for the execution's own attempt. */
  private updateTask(
    name: string,
    transition: TransitionExpression,
    fieldValues: Record<string, tasks.DynamoAttributeValue>,
  ): tasks.DynamoUpdateItem {
    return updateTaskStep(this, name, this.table, transition, { ':attempt': EXECUTION_ATTEMPT(), ...fieldValues });
  }
}

/** A worker's Fail state on Express: its error and cause go to RecordFailure, as a caught error would. */
function recordedFail(fail: Record<string, unknown>): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  if (fail.Error !== undefined) parameters.Error = fail.Error;
  else if (fail.ErrorPath !== undefined) parameters['Error.$'] = fail.ErrorPath;
  else parameters.Error = 'States.Fail';
  if (fail.Cause !== undefined) parameters.Cause = fail.Cause;
  else if (fail.CausePath !== undefined) parameters['Cause.$'] = fail.CausePath;
  return {
    Type: 'Pass',
    ...(fail.Comment !== undefined && { Comment: fail.Comment }),
    Parameters: parameters,
    ResultPath: '$.error',
    Next: SHELL_STATES.recordFailure,
  };
}

/** A state Express cannot run (a callback or .sync integration), reached by a task type on Express: the task fails saying so. */
function unsupportedOnExpress(stateId: string): Record<string, unknown> {
  return {
    Type: 'Pass',
    Comment: `Express runs neither .sync nor .waitForTaskToken integrations: only task types on the Standard state machine may reach ${stateId}.`,
    Parameters: { Error: 'UnsupportedOnExpress', Cause: `The state ${stateId} cannot run on the Express state machine.` },
    ResultPath: '$.error',
    Next: SHELL_STATES.recordFailure,
  };
}
