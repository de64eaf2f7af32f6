/**
 * Forms from JSON Schemas (a task type's submission, a task's awaited input): the fields a schema describes,
 * and the JSON value the filled-in fields make. Objects with properties become fieldsets; strings, numbers,
 * integers, booleans, enums and arrays of enums get their own inputs; anything else is edited as JSON. Pure.
 */
import type { FieldError } from './problems.ts';

export type JsonSchema = { [keyword: string]: unknown };

type FieldKind = 'object' | 'const' | 'text' | 'integer' | 'number' | 'boolean' | 'enum' | 'multi' | 'json';

export interface Field {
  /** JSON Pointer of the value in the body, e.g. `/input/upTo` (the root is ``). */
  pointer: string;
  /** The property's name in its object (`` for the root). */
  name: string;
  label: string;
  kind: FieldKind;
  required: boolean;
  description?: string;
  schema: JsonSchema;
  /** An object's fields. */
  fields?: Field[];
  /** An enum's (or an array of enums') values. */
  options?: unknown[];
}

/** What a person typed or chose, by pointer: text, a checkbox, or the chosen options. */
export type RawValues = Record<string, string | boolean | string[]>;

const isObject = (value: unknown): value is JsonSchema => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `upTo` -> `Up to`, `callbackUrl` -> `Callback URL`. */
export function humanize(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .split(/\s+/)
    .map((word, i) => (/^(url|id|json|uri)$/i.test(word) ? word.toUpperCase() : i === 0 ? word : word.toLowerCase()));
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function typeOf(schema: JsonSchema): string | undefined {
  if (typeof schema.type === 'string') return schema.type;
  if (Array.isArray(schema.type)) return schema.type.find((t): t is string => typeof t === 'string' && t !== 'null');
  if (isObject(schema.properties)) return 'object';
  return undefined;
}

function kindOf(schema: JsonSchema): FieldKind {
  if ('const' in schema) return 'const';
  if (Array.isArray(schema.enum)) return 'enum';
  const type = typeOf(schema);
  if (type === 'object' && isObject(schema.properties)) return 'object';
  if (type === 'array' && isObject(schema.items) && Array.isArray(schema.items.enum)) return 'multi';
  if (type === 'string') return 'text';
  if (type === 'integer' || type === 'number' || type === 'boolean') return type;
  return 'json';
}

/** The form of a schema; `name` labels it (the root's label is unused). */
export function formOf(schema: JsonSchema, pointer = '', name = '', required = true): Field {
  const kind = kindOf(schema);
  const label = typeof schema.title === 'string' ? schema.title : humanize(name);
  const field: Field = {
    pointer,
    name,
    label,
    kind,
    required,
    schema,
    ...(typeof schema.description === 'string' && { description: schema.description }),
  };
  if (kind === 'object') {
    const requiredNames = Array.isArray(schema.required) ? schema.required : [];
    field.fields = Object.entries(schema.properties as Record<string, unknown>).map(([key, child]) =>
      formOf(isObject(child) ? child : {}, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, key, requiredNames.includes(key)),
    );
  }
  if (kind === 'enum') field.options = schema.enum as unknown[];
  if (kind === 'multi') field.options = (schema.items as JsonSchema).enum as unknown[];
  return field;
}

/** The schema's defaults, as raw values. */
export function defaults(field: Field, into: RawValues = {}): RawValues {
  for (const child of field.fields ?? []) defaults(child, into);
  const value = field.schema.default;
  if (value === undefined || field.kind === 'object' || field.kind === 'const') return into;
  if (field.kind === 'boolean') into[field.pointer] = value === true;
  else if (field.kind === 'multi') into[field.pointer] = Array.isArray(value) ? value.map(String) : [];
  else if (field.kind === 'json') into[field.pointer] = JSON.stringify(value, null, 2);
  else into[field.pointer] = String(value);
  return into;
}

/** Every field of a form, depth first (the fields a pointer can name). */
export function allFields(field: Field): Field[] {
  return [field, ...(field.fields ?? []).flatMap(allFields)];
}

/** A 400's field errors (`{ pointer, detail }`) that name a field of `form`, by pointer: what each field shows. */
export function errorsOnFields(form: Field, errors: readonly { pointer: string; detail: string }[]): Record<string, string> {
  const pointers = new Set(allFields(form).map((f) => f.pointer));
  return Object.fromEntries(errors.filter((e) => pointers.has(e.pointer)).map((e) => [e.pointer, e.detail]));
}

/** The JSON value of a filled-in form, and what is wrong with it before the API is asked. Empty optional fields are left out. */
export function buildValue(field: Field, raw: RawValues): { value: unknown; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const value = valueFrom(field, raw, errors);
  return { value, errors };
}

function valueFrom(field: Field, raw: RawValues, errors: FieldError[]): unknown {
  const entered = raw[field.pointer];
  const text = typeof entered === 'string' ? entered.trim() : '';
  const missing = () => {
    if (field.required) errors.push({ pointer: field.pointer, detail: 'is required' });
    return undefined;
  };
  switch (field.kind) {
    case 'const':
      return field.schema.const;
    case 'object': {
      const object: Record<string, unknown> = {};
      for (const child of field.fields ?? []) {
        const childValue = valueFrom(child, raw, errors);
        if (childValue !== undefined) object[child.name] = childValue;
      }
      return Object.keys(object).length === 0 && !field.required && field.pointer !== '' ? undefined : object;
    }
    case 'boolean':
      return entered === true ? true : field.required ? false : undefined;
    case 'multi': {
      const chosen = Array.isArray(entered) ? entered : [];
      if (chosen.length === 0) return missing();
      return (field.options ?? []).filter((option) => chosen.includes(String(option)));
    }
    case 'enum':
      if (text === '') return missing();
      return (field.options ?? []).find((option) => String(option) === text);
    case 'integer':
    case 'number': {
      if (text === '') return missing();
      const number = Number(text);
      if (!Number.isFinite(number) || (field.kind === 'integer' && !Number.isInteger(number))) {
        errors.push({ pointer: field.pointer, detail: field.kind === 'integer' ? 'must be a whole number' : 'must be a number' });
        return undefined;
      }
      return number;
    }
    case 'text':
      return text === '' ? missing() : (entered as string);
    case 'json':
      if (text === '') return missing();
      try {
        return JSON.parse(text);
      } catch {
        errors.push({ pointer: field.pointer, detail: 'is not valid JSON' });
        return undefined;
      }
  }
}
