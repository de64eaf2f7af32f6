/**
 * Validates a submit body against the task types' schemas. Schemas are compiled once, when the
 * module loads, from the types the construct declared.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { problems, type FieldError } from '#domain/errors';
import type { TaskTypeSchemas } from '#domain/task-types';

export interface Submission {
  type: string;
  input: unknown;
  callbackUrl?: string;
}

/** Step Functions' input limit, which bounds the body too. */
export const MAX_BODY_BYTES = 256 * 1024;

export function submissionSchema(inputSchema: Record<string, unknown>, type?: string): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      type: type === undefined ? { type: 'string' } : { const: type },
      input: inputSchema,
      callbackUrl: { type: 'string', maxLength: 2048, pattern: '^https://' },
    },
    required: ['type', 'input'],
    additionalProperties: false,
  };
}

export class SubmissionValidator {
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(taskTypes: TaskTypeSchemas) {
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
    return body as Submission;
  }
}

function fieldErrors(errors: ErrorObject[]): FieldError[] {
  return errors.map((error) => {
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
    return { pointer: error.instancePath, detail: error.message ?? 'is invalid' };
  });
}
