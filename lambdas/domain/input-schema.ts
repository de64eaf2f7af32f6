/**
 * The check of an input against the schema its worker awaits (Ajv, compiled once per schema and
 * kept). Apart from `#domain/input`, which the construct imports: Ajv is bundled into the functions,
 * not a dependency of the package.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { type FieldError, problems } from './errors.ts';
import type { AwaitedInput } from './task.ts';

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new Map<string, ValidateFunction>();

/** Checks an input against the awaited schema; throws a 400 naming each offending field. */
export function validateInput(wait: AwaitedInput, body: unknown): void {
  if (!wait.schema) return;
  const key = JSON.stringify(wait.schema);
  let validate = compiled.get(key);
  if (!validate) {
    try {
      validate = ajv.compile(wait.schema);
    } catch {
      // The construct checks schemas at synth; an uncompilable one accepts any JSON rather than none.
      validate = (() => true) as unknown as ValidateFunction;
    }
    if (compiled.size > 100) compiled.clear();
    compiled.set(key, validate);
  }
  if (validate(body)) return;
  const errors: FieldError[] = (validate.errors ?? []).map((error) => {
    if (error.keyword === 'additionalProperties') {
      return { pointer: `${error.instancePath}/${(error.params as { additionalProperty: string }).additionalProperty}`, detail: 'is not allowed' };
    }
    if (error.keyword === 'required') {
      return { pointer: `${error.instancePath}/${(error.params as { missingProperty: string }).missingProperty}`, detail: 'is required' };
    }
    return { pointer: error.instancePath, detail: error.message ?? 'is invalid' };
  });
  throw problems.validation(errors);
}
