/**
 * The worker API: the one module a platform team's worker Lambda imports (`#worker`).
 *
 * **Wiring.** A worker is a Step Functions chain passed to `AsyncTaskApi` as `worker`; a Lambda
 * worker is a `tasks.LambdaInvoke` state in it (with `payloadResponseOnly: true`), and
 * `api.grantProgress(fn)` lets the function report progress (UpdateItem on task rows, limited to
 * the progress attributes, plus `TABLE_NAME`). examples/lambda-worker is the complete pattern.
 *
 * **Input.** The execution input, and so the event of a LambdaInvoke without `payload`, is a
 * {@link WorkerEvent}: `{ taskId, type, input }`. `input` has already been validated against the
 * task type's JSON Schema at submit (`taskTypes`), so the worker may trust its shape.
 *
 * **Output.** What the worker's last state outputs (for a LambdaInvoke with
 * `payloadResponseOnly`, the handler's return value) becomes the task's result, served as JSON by
 * `GET /tasks/{id}/result`. Step Functions caps a state's output at 256 KB. Large results: see
 * `storeLargeResult` / `resultOf` in `#worker/large-result` (lambdas/worker/large-result.ts): the
 * result goes to the results bucket and the worker returns a pointer (the result route answers
 * 303 to a presigned URL); the function needs `api.grantResultWrite(fn)`. They are not
 * re-exported here on purpose: that module requires `RESULTS_BUCKET_NAME` at load, which only
 * workers granted result writes have.
 *
 * **Progress.** `progressReporter(taskId)` returns a function to call after each unit of work with
 * `{ percent, step? }`; it writes only when 500 ms have passed or progress moved 25 points since
 * its last write (each write costs DynamoDB units), and otherwise answers with the last known state.
 * The first report turns a `pending` task `running`; percent is kept within 0..99 (100 is written
 * with the result). `reportProgress(taskId, progress)` writes every time.
 *
 * **Cancellation is cooperative.** `DELETE /tasks/{id}` records `cancelled` and stops the
 * execution, but a Lambda invocation already running is not interrupted: every progress answer
 * carries `cancelled`, and a worker that sees `true` should stop and return at once. What it
 * returns then is discarded (a cancelled task stays cancelled).
 *
 * **Failure.** `throw new TaskFailed(message)` fails the task, and `message` reaches the caller as
 * the task's `error.detail`. Any other error fails it with a generic "The task failed." (no stack
 * trace or internal text reaches a client); the function's logs keep the details.
 *
 * **Time.** One Lambda invocation lasts at most 15 minutes. For longer work, return a state to
 * resume from and loop back with a Choice state (the demo's `CountPrimes` does this, see
 * lambdas/workflow/count-primes.ts), or use a Step Functions chain as the worker.
 */
import type { Context } from 'aws-lambda';
import type { ExecutionInput } from '#domain/task';

export type { Progress } from '#domain/task';
export { type ProgressAnswer, progressReporter, reportProgress, TaskFailed } from '#workflow/progress';

/** The event a Lambda worker receives: the execution input, `input` typed by the worker. */
export interface WorkerEvent<TInput = unknown> extends ExecutionInput {
  /** The task id (also the execution name). Pass it to `progressReporter`. */
  readonly taskId: string;
  /** The task type the caller submitted (one of the construct's `taskTypes`). */
  readonly type: string;
  /** The caller's `input`, valid against the task type's JSON Schema. */
  readonly input: TInput;
}

/** A Lambda worker: its resolved value is the task result (JSON-serialisable, ≤ 256 KB). */
export type WorkerHandler<TInput = unknown, TResult = unknown> = (event: WorkerEvent<TInput>, context: Context) => Promise<TResult>;
