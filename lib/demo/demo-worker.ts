/**
 * The demo worker: `primes`, `sleep`, `report`, `fail`, `flaky` and `approval` task types, as one
 * Step Functions chain, and the demo compensation. State names are a contract: the local stack
 * binds Task states by name.
 */
import { Duration } from 'aws-cdk-lib';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { awaitInput } from '../index.ts';
import { demoFunction } from './demo-function.ts';
import { APPROVAL_SCHEMA } from './task-types.ts';

/** The state names of the demo worker. */
export const DEMO_STATES = {
  chooseTaskType: 'ChooseTaskType',
  countPrimes: 'CountPrimes',
  morePrimesToCount: 'MorePrimesToCount',
  sleep: 'Sleep',
  makeReport: 'MakeReport',
  failWithMessage: 'FailWithMessage',
  failsLeft: 'FailsLeft',
  failPlanned: 'FailPlanned',
  succeedAfterFailures: 'SucceedAfterFailures',
  awaitApproval: 'AwaitApproval',
  quickWork: 'QuickWork',
  unknownTaskType: 'UnknownTaskType',
  releaseResources: 'ReleaseResources',
} as const;

export interface DemoWorker {
  /** The worker chain; its open ends continue to whatever the caller appends (`RecordSuccess`). */
  readonly chain: sfn.Chain;
  /** The `CountPrimes` Lambda; give it progress access with `AsyncTaskApi.grantProgress`. */
  readonly countPrimesFunction: NodejsFunction;
  /** The `MakeReport` Lambda; let it store large results with `AsyncTaskApi.grantResultWrite`. */
  readonly makeReportFunction: NodejsFunction;
}

export interface DemoWorkerProps {
  /** Retention of the count-primes function's log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Builds the demo worker under a construct `id` in `scope`. Execution input is
 * `{ taskId, type, input }`; each branch's output is the task result:
 * - `primes`: `CountPrimes` is invoked with the whole state and returns either the next state
 *   (with `resumeFrom`, to count the next chunk) or the result (`{ count }`).
 * - `sleep`: waits `input.seconds`, result `{ seconds }`.
 * - `report`: `MakeReport` builds a report of `input.sizeKb` KiB and returns it, through the
 *   results bucket when large (a pointer; `input.inline` returns it as is, to show result-too-large).
 * - `fail`: fails with error `TaskFailed` and cause `input.message`.
 * - `flaky`: fails while `attempt` ≤ `input.failures`, then succeeds with `{ attempts }` (no Lambda: a Choice).
 * - `approval`: an `awaitInput` state asks `input.question`; the input it gets is the result.
 */
export function demoWorker(scope: Construct, id: string, props: DemoWorkerProps = {}): DemoWorker {
  const self = new Construct(scope, id);
  const countPrimesFunction = demoFunction(self, 'CountPrimesFunction', {
    name: 'count-primes',
    timeout: Duration.minutes(5),
    memorySize: 512,
    description: 'Demo worker: counts primes in chunks, reporting progress',
    logRetention: props.logRetention,
  });

  // By version, not $LATEST: the state machine version a task started on keeps invoking the code it
  // was published with, whatever a later deploy changes.
  const countPrimes = new tasks.LambdaInvoke(self, DEMO_STATES.countPrimes, {
    lambdaFunction: countPrimesFunction.currentVersion,
    // No `payload`: the function receives the whole state input. (`TaskInput.fromJsonPathAt('$')`
    // would render `"Parameters": "$"`, a string, which ASL rejects: Parameters must be an object.)
    payloadResponseOnly: true,
  });
  const morePrimesToCount = new sfn.Choice(self, DEMO_STATES.morePrimesToCount).when(sfn.Condition.isPresent('$.resumeFrom'), countPrimes);
  countPrimes.next(morePrimesToCount);
  // The `otherwise` branch is left open, so the chain continues after it.
  const primesDone = morePrimesToCount.afterwards({ includeOtherwise: true });

  const makeReportFunction = demoFunction(self, 'MakeReportFunction', {
    name: 'make-report',
    timeout: Duration.minutes(1),
    memorySize: 512,
    description: 'Demo worker: builds a report of a requested size, storing large ones in the results bucket',
    logRetention: props.logRetention,
  });
  const makeReport = new tasks.LambdaInvoke(self, DEMO_STATES.makeReport, {
    lambdaFunction: makeReportFunction.currentVersion,
    payloadResponseOnly: true,
  });

  const sleep = sfn.Wait.jsonPath(self, DEMO_STATES.sleep, {
    time: sfn.WaitTime.secondsPath('$.input.seconds'),
    outputPath: '$.input',
  });
  const failWithMessage = new sfn.Fail(self, DEMO_STATES.failWithMessage, {
    error: 'TaskFailed',
    causePath: '$.input.message',
  });
  const unknownTaskType = new sfn.Fail(self, DEMO_STATES.unknownTaskType, {
    error: 'UnknownTaskType',
    causePath: '$.type',
  });

  const succeedAfterFailures = new sfn.Pass(self, DEMO_STATES.succeedAfterFailures, { parameters: { 'attempts.$': '$.attempt' } });
  const failsLeft = new sfn.Choice(self, DEMO_STATES.failsLeft)
    .when(
      sfn.Condition.numberLessThanEqualsJsonPath('$.attempt', '$.input.failures'),
      new sfn.Fail(self, DEMO_STATES.failPlanned, { error: 'TaskFailed', cause: 'A planned failure (flaky): retry the task.' }),
    )
    .otherwise(succeedAfterFailures);

  const awaitApproval = awaitInput(self, DEMO_STATES.awaitApproval, {
    name: 'approval',
    promptPath: '$.input.question',
    schema: APPROVAL_SCHEMA,
    timeout: Duration.minutes(30),
  });

  const chooseTaskType = new sfn.Choice(self, DEMO_STATES.chooseTaskType)
    .when(sfn.Condition.stringEquals('$.type', 'primes'), countPrimes)
    .when(sfn.Condition.stringEquals('$.type', 'sleep'), sleep)
    .when(sfn.Condition.stringEquals('$.type', 'report'), makeReport)
    .when(sfn.Condition.stringEquals('$.type', 'fail'), failWithMessage)
    .when(sfn.Condition.stringEquals('$.type', 'flaky'), failsLeft)
    .when(sfn.Condition.stringEquals('$.type', 'approval'), awaitApproval)
    // `quick` (on Express in the demo stack) reuses the states above, by which field its input has.
    .when(
      sfn.Condition.stringEquals('$.type', 'quick'),
      new sfn.Choice(self, DEMO_STATES.quickWork)
        .when(sfn.Condition.isPresent('$.input.message'), failWithMessage)
        .when(sfn.Condition.isPresent('$.input.seconds'), sleep)
        .otherwise(countPrimes),
    )
    .otherwise(unknownTaskType);

  const chain = sfn.Chain.custom(chooseTaskType, [...primesDone.endStates, sleep, makeReport, succeedAfterFailures, awaitApproval], chooseTaskType);
  return { chain, countPrimesFunction, makeReportFunction };
}

/**
 * The demo compensation: "releases" what a cancelled (or failed) task held and records it as its
 * output (`{ released: { taskId, type, atPercent } }`, in the compensation execution's history).
 */
export function demoCompensation(scope: Construct, id: string): sfn.IChainable {
  return new sfn.Pass(new Construct(scope, id), DEMO_STATES.releaseResources, {
    parameters: {
      released: { 'taskId.$': '$.taskId', 'type.$': '$.type', 'attempt.$': '$.attempt', 'atPercent.$': '$.progress.percent' },
    },
  });
}
