/**
 * `@longrun/worker`: what a worker Lambda behind a Longrun `AsyncTaskApi` imports.
 *
 * **Wiring.** A worker is a Step Functions chain given to `AsyncTaskApi` as `worker`; a Lambda
 * worker is a `tasks.LambdaInvoke` state in it (with `payloadResponseOnly: true`), and
 * `api.grantProgress(fn)` lets the function report progress.
 *
 * **Input.** The event is a {@link WorkerEvent}: `{ taskId, type, input }`; `input`
 * already passed the task type's JSON Schema at submit.
 *
 * **Output.** The handler's return value is the task's result (JSON, at most 256 KB); larger
 * results go through {@link resultOf} / {@link storeLargeResult}.
 *
 * **Progress and cancellation.** {@link progressReporter} records progress and answers
 * `cancelled: true` once the task is over: cancellation is cooperative.
 *
 * **Failure.** `throw new TaskFailed(message)` fails the task with `message` for the caller; any
 * other error fails it with "The task failed." (the details stay in the function's logs).
 *
 * **Time.** One invocation lasts at most 15 minutes; for longer work, return a state to resume
 * from and loop with a Choice state, or make the worker a state machine.
 *
 * @packageDocumentation
 */
import type { Context } from 'aws-lambda';

export { INLINE_RESULT_MAX_BYTES, type ResultPointer, resultOf, storeLargeResult } from './large-result.ts';
export { type ProgressAnswer, type ProgressReporterOptions, progressReporter, reportProgress, TaskFailed } from './progress.ts';
export type { Progress } from './protocol.ts';

/** The event a Lambda worker receives: the execution input, with `input` typed by the worker. */
export interface WorkerEvent<TInput = unknown> {
  /** The task id (also the execution name). Pass it to `progressReporter`. */
  readonly taskId: string;
  /** The task type the caller submitted (one of the construct's `taskTypes`). */
  readonly type: string;
  /** The caller's `input`, valid against the task type's JSON Schema. */
  readonly input: TInput;
}

/**
 * A Lambda worker: its resolved value is the task result (JSON-serialisable, at most 256 KB).
 *
 * @example
 * ```ts
 * export const handler: WorkerHandler<{ month: string }, Report> = async ({ taskId, input }) => buildReport(taskId, input.month);
 * ```
 */
export type WorkerHandler<TInput = unknown, TResult = unknown> = (event: WorkerEvent<TInput>, context: Context) => Promise<TResult>;
