/** The demo stack's task types and the JSON Schema of each one's `input`: useful out of the box, and exercising every path. */
import type { TaskTypeSchemas } from '../../lambdas/domain/task-types.ts';

export const DEMO_TASK_TYPES: TaskTypeSchemas = {
  primes: {
    type: 'object',
    description: 'Counts the primes up to `upTo`, in chunks, reporting progress after each chunk.',
    properties: { upTo: { type: 'integer', minimum: 2, maximum: 10_000_000 } },
    required: ['upTo'],
    additionalProperties: false,
  },
  sleep: {
    type: 'object',
    description: 'Waits `seconds` in a Wait state; costs nothing while waiting.',
    properties: { seconds: { type: 'integer', minimum: 0, maximum: 3600 } },
    required: ['seconds'],
    additionalProperties: false,
  },
  report: {
    type: 'object',
    description:
      'Builds a report of about `sizeKb` KiB; over 64 KiB it is stored in the results bucket (GET …/result answers 303). `inline: true` returns it inline anyway, so a large one fails with result-too-large.',
    properties: {
      sizeKb: { type: 'integer', minimum: 1, maximum: 10_240 },
      inline: { type: 'boolean' },
      label: { type: 'string', maxLength: 200_000 },
    },
    required: ['sizeKb'],
    additionalProperties: false,
  },
  fail: {
    type: 'object',
    description: 'Fails with `message`, to exercise the failure path.',
    properties: { message: { type: 'string', minLength: 1, maxLength: 1000 } },
    required: ['message'],
    additionalProperties: false,
  },
  flaky: {
    type: 'object',
    description: 'Fails its first `failures` attempts, then succeeds with `{ attempts }`: retry it (POST /tasks/{id}/retry).',
    properties: { failures: { type: 'integer', minimum: 0, maximum: 5 } },
    required: ['failures'],
    additionalProperties: false,
  },
  quick: {
    type: 'object',
    description:
      'A short task, run on the Express state machine (expressTaskTypes): counts the primes up to `upTo`, waits `seconds`, or fails with `message` (one of them).',
    properties: {
      upTo: { type: 'integer', minimum: 2, maximum: 1_000_000 },
      seconds: { type: 'integer', minimum: 0, maximum: 240 },
      message: { type: 'string', minLength: 1, maxLength: 1000 },
    },
    minProperties: 1,
    maxProperties: 1,
    additionalProperties: false,
    examples: [{ upTo: 1000 }],
  },
  approval: {
    type: 'object',
    description:
      'Asks `question` and waits for input `{ approved, note? }` (POST /tasks/{id}/input, or its capability URL), then succeeds with that input as its result.',
    properties: { question: { type: 'string', minLength: 1, maxLength: 1000 } },
    required: ['question'],
    additionalProperties: false,
  },
};

/** The input the `approval` type waits for. */
export const APPROVAL_SCHEMA = {
  type: 'object',
  properties: { approved: { type: 'boolean' }, note: { type: 'string', maxLength: 1000 } },
  required: ['approved'],
  additionalProperties: false,
};
