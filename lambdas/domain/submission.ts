/**
 * Validates a submit body against the task types' schemas. Schemas are compiled once, when the
 * module loads, from the types the construct declared.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { callbackUrlViolation } from './callback-url.ts';
import { type FieldError, problems } from './errors.ts';
import { METADATA_SCHEMA } from './metadata.ts';
import { CALLBACK_EVENT_KINDS, type CallbackEventKind } from './task.ts';
import type { TaskTypeSchemas } from './task-types.ts';

export interface Submission {
  type: string;
  input: unknown;
  callbackUrl?: string;
  metadata?: Record<string, string>;
  callbackEvents?: CallbackEventKind[];
}

/** Step Functions' input limit, which bounds the body too. */
export const MAX_BODY_BYTES = 256 * 1024;

export function submissionSchema(inputSchema: Record<string, unknown>, type?: string): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      type: type === undefined ? { type: 'string' } : { const: type },
      input: inputSchema,
      callbackUrl: {
        type: 'string',
        maxLength: 2048,
        // The full SSRF rules (no credentials, no private/loopback/link-local/CGNAT host) are checked
        // after the schema, in `callbackUrlViolation`; http:// only on the local stack, for loopback receivers.
        pattern: '^https?://',
        description:
          "https:// URL with a public host, called once the task is terminal (and on the events of `callbackEvents`), signed with the caller's secret (Standard Webhooks).",
      },
      metadata: METADATA_SCHEMA,
      callbackEvents: {
        type: 'array',
        description:
          'Which events `callbackUrl` receives: `started` (task.running), `progress` (task.progress, the first at once, then at most one per 5 s), `input_required` (task.input_required), `completed` (task.succeeded, task.failed, task.cancelled). Default: `["completed"]`.',
        items: { enum: [...CALLBACK_EVENT_KINDS] },
        uniqueItems: true,
        maxItems: CALLBACK_EVENT_KINDS.length,
        default: ['completed'],
      },
    },
    required: ['type', 'input'],
    additionalProperties: false,
  };
}

export class SubmissionValidator {
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(
    taskTypes: TaskTypeSchemas,
    /** Local stack only: callbacks to loopback receivers (http://127.0.0.1, localhost) are accepted. */
    private readonly options: { allowLoopbackCallbacks?: boolean } = {},
  ) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    for (const [type, schema] of Object.entries(taskTypes)) this.validators.set(type, ajv.compile(submissionSchema(schema, type)));
  }

  get types(): string[] {
    return [...this.validators.keys()];
  }

  /** Returns the submission, or throws a 400 problem naming every offending field. */
  validate(body: unknown): Submission {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw problems.validation([{ pointer: '', detail: 'must be a JSON object' }]);
    }
    const { type } = body as { type?: unknown };
    if (typeof type !== 'string') throw problems.validation([{ pointer: '/type', detail: 'is required and must be a string' }]);
    const validate = this.validators.get(type);
    if (!validate) {
      throw problems.validation([{ pointer: '/type', detail: `unknown task type; one of: ${this.types.join(', ')}` }]);
    }
    if (!validate(body)) throw problems.validation(fieldErrors(validate.errors ?? []));
    const { callbackUrl } = body as Submission;
    const violation =
      callbackUrl === undefined ? undefined : callbackUrlViolation(callbackUrl, { allowLoopback: this.options.allowLoopbackCallbacks });
    if (violation) throw problems.validation([{ pointer: '/callbackUrl', detail: violation }]);
    return body as Submission;
  }
}

function fieldErrors(errors: ErrorObject[]): FieldError[] {
  const seen = new Set<string>();
  return errors.map(fieldError).filter((e) => {
    const key = `${e.pointer}\n${e.detail}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function fieldError(error: ErrorObject): FieldError {
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return { pointer: `${error.instancePath}/${extra}`, detail: 'is not allowed' };
  }
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return { pointer: `${error.instancePath}/${missing}`, detail: 'is required' };
  }
  if (error.keyword === 'pattern' && error.instancePath === '/callbackUrl') {
    return { pointer: '/callbackUrl', detail: 'must be an https:// URL' };
  }
  if (error.keyword === 'propertyNames' || (error.keyword === 'pattern' && error.propertyName !== undefined)) {
    const name = (error.params as { propertyName?: string }).propertyName ?? error.propertyName;
    return { pointer: error.instancePath, detail: `key ${JSON.stringify(name)} must be 1 to 64 letters, digits, '_', '.' or '-'` };
  }
  return { pointer: error.instancePath, detail: error.message ?? 'is invalid' };
}
