/**
 * `awaitInput`: the worker-kit state for input from a person or a system. A `.waitForTaskToken`
 * Lambda task: Longrun's `await-input` function records the wait (and its task token) on the task,
 * which then shows `awaitingInput`; `POST /tasks/{id}/input` (or its capability URL) resumes the
 * state with the input as its result. The function belongs to the `AsyncTaskApi` the worker is
 * given to: `TaskWorkflow` finds these states in the worker and binds them to it.
 */
import { type Duration, Lazy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { JsonSchema } from '../../lambdas/domain/task-types.ts';

/** The function the `awaitInput` states invoke, in `AsyncTaskApi.functions`. */
export const AWAIT_INPUT_FUNCTION = 'await-input';

/** A schema is stored on the task and shown with it: keep it small. */
const MAX_SCHEMA_BYTES = 8 * 1024;

/** The props of {@link awaitInput}. */
export interface AwaitInputProps {
  /** What the input is called, shown as `awaitingInput.name` (e.g. `approval`): 1 to 64 letters, digits, `_`, `.` or `-`. */
  readonly name: string;
  /** What to ask, shown as `awaitingInput.prompt`. @default - none (or `promptPath`) */
  readonly prompt?: string;
  /** A JSON path into the state's input where the prompt is, e.g. `$.input.question`. @default - `prompt` */
  readonly promptPath?: string;
  /** The JSON Schema the input must match (`POST …/input` answers 400 naming each offending field). @default - any JSON */
  readonly schema?: JsonSchema;
  /**
   * How long to wait: then the state fails with `States.Timeout` (the task fails with "The task
   * exceeded its time limit.", unless the worker catches it). Shown as `awaitingInput.expiresAt`.
   * @default - as long as the execution may run
   */
  readonly timeout?: Duration;
  /** Where the input goes in the state's output. @default '$' (the input is the state's output) */
  readonly resultPath?: string;
}

/** A state made by `awaitInput`, and how to point it at the API's function. */
interface AwaitInputState {
  readonly state: sfn.State;
  bind(fn: lambda.IFunction): void;
}

const STATES = new WeakMap<sfn.State, AwaitInputState>();

/**
 * A state that waits for input: the task stays `running` with `awaitingInput` until the input
 * arrives (then the state's output is that input) or `timeout` passes. Put it anywhere at the top
 * level of an `AsyncTaskApi`'s worker (not inside a Parallel or Map state).
 *
 * @example
 * ```ts
 * const approve = awaitInput(this, 'AwaitApproval', {
 *   name: 'approval',
 *   promptPath: '$.input.question',
 *   schema: { type: 'object', properties: { approved: { type: 'boolean' } }, required: ['approved'] },
 *   timeout: Duration.days(3),
 * });
 * ```
 */
export function awaitInput(scope: Construct, id: string, props: AwaitInputProps): tasks.LambdaInvoke {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(props.name))
    throw new Error(`awaitInput ${id}: name must be 1 to 64 letters, digits, '_', '.' or '-' (got '${props.name}').`);
  if (props.prompt !== undefined && props.promptPath !== undefined) throw new Error(`awaitInput ${id}: give prompt or promptPath, not both.`);
  if (props.schema !== undefined && Buffer.byteLength(JSON.stringify(props.schema)) > MAX_SCHEMA_BYTES) {
    throw new Error(`awaitInput ${id}: schema must stay under ${MAX_SCHEMA_BYTES} bytes as JSON.`);
  }
  const timeoutSeconds = props.timeout?.toSeconds();
  if (timeoutSeconds !== undefined && timeoutSeconds < 1) throw new Error(`awaitInput ${id}: timeout must be at least 1 second.`);
  let bound: lambda.IFunction | undefined;
  const functionArn = Lazy.string({
    produce: () => {
      if (!bound) throw new Error(`awaitInput ${id}: the state is not at the top level of an AsyncTaskApi's worker, so nothing records its wait.`);
      return bound.functionArn;
    },
  });
  const recorder = lambda.Function.fromFunctionAttributes(scope, `${id}Recorder`, { functionArn, sameEnvironment: true, skipPermissions: true });
  // What is bound is the function's `live` alias, under which no qualified ARN exists: the state
  // machine may invoke exactly it (an imported function would also grant `<arn>:*`).
  (recorder as { resourceArnsForGrantInvoke: string[] }).resourceArnsForGrantInvoke = [functionArn];
  const state = new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: recorder,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: sfn.TaskInput.fromObject({
      taskId: sfn.JsonPath.stringAt('$$.Execution.Input.taskId'),
      attempt: sfn.JsonPath.numberAt('$$.Execution.Input.attempt'),
      token: sfn.JsonPath.taskToken,
      name: props.name,
      ...(props.prompt !== undefined && { prompt: props.prompt }),
      ...(props.promptPath !== undefined && { prompt: sfn.JsonPath.stringAt(props.promptPath) }),
      // As JSON text: a schema's own `$…` strings must not read as paths.
      ...(props.schema !== undefined && { schema: JSON.stringify(props.schema) }),
      ...(timeoutSeconds !== undefined && { timeoutSeconds }),
    }),
    ...(props.timeout && { taskTimeout: sfn.Timeout.duration(props.timeout) }),
    // '$' is the default: left out (aws-local-stepfunctions would write a member named '$').
    ...(props.resultPath !== undefined && props.resultPath !== '$' && { resultPath: props.resultPath }),
    comment: `Waits for input '${props.name}' (POST /tasks/{id}/input)`,
  });
  STATES.set(state, {
    state,
    bind: (fn) => {
      bound = fn;
    },
  });
  return state;
}

/** The `awaitInput` states reachable from `start` (the worker's top level). */
export function awaitInputStates(start: sfn.State): AwaitInputState[] {
  return sfn.State.findReachableStates(start).flatMap((state) => {
    const found = STATES.get(state);
    return found ? [found] : [];
  });
}
