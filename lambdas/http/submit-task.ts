// POST /tasks --> submitTask --> task store + StartExecution
import { config } from '#config';
import { problems } from '#domain/errors';
import { retryAfterSeconds, toRepresentation } from '#domain/representation';
import { SubmissionValidator } from '#domain/submission';
import { apiHandler } from '#http/api-handler';
import { type ApiRequest, readJsonBody } from '#http/request';
import { submitTask } from '#service/submit-task';

let validator: SubmissionValidator | undefined;
/** Built once per container, from the task types this deployment accepts. */
function submissionValidator(): SubmissionValidator {
  if (Object.keys(config.taskTypes).length === 0) throw new Error('environment variable TASK_TYPES must declare at least one task type');
  validator ??= new SubmissionValidator(config.taskTypes, { allowLoopbackCallbacks: config.allowLoopbackCallbacks });
  return validator;
}

/** Idempotency-Key (IETF httpapi draft): a string of 1 to 255 visible ASCII characters, quoted or not. */
function idempotencyKey(request: ApiRequest): string | undefined {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const key = raw.trim().replace(/^"(.*)"$/, '$1');
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) throw problems.invalidParameter('Idempotency-Key', 'must be 1 to 255 visible ASCII characters');
  return key;
}

/**
 * `?location=result` points `Location` at the result monitor (for Logic Apps / Power Automate and
 * ARM-style pollers, which poll `Location` while it answers 202); `task`, the default, at the task.
 */
function locationTarget(request: ApiRequest): 'task' | 'result' {
  const value = request.query.location;
  if (value === undefined || value === 'task' || value === 'result') return value ?? 'task';
  throw problems.invalidParameter('location', 'must be task or result');
}

export const handler = apiHandler(async (request) => {
  const target = locationTarget(request);
  const submission = submissionValidator().validate(readJsonBody(request));
  const { task } = await submitTask(request.owner, submission, idempotencyKey(request));
  const representation = toRepresentation(task, request.baseUrl, config.retentionSeconds);
  const retryAfter = retryAfterSeconds(task);
  return {
    status: 202,
    body: representation,
    headers: {
      Location: target === 'result' ? representation.links.result : representation.links.self,
      // Azure's long-running operation header: pollers (core-lro) prefer it to Location.
      'Operation-Location': representation.links.self,
      'Retry-After': retryAfter?.toString(),
    },
  };
});
