/** The inputs of a form generated from a JSON Schema (see ../schema-form.ts), each labelled, with its constraints and errors. */
import { html } from 'htm/preact';
import type { Field, RawValues } from '../schema-form.ts';
import { Prose } from './parts.ts';

export interface FieldsProps {
  field: Field;
  raw: RawValues;
  onChange: (pointer: string, value: string | boolean | string[]) => void;
  /** Errors by pointer (from the form, or the API's problem). */
  errors: Record<string, string>;
  /** Makes ids unique on the page. */
  idPrefix: string;
}

const idOf = (prefix: string, pointer: string) => `${prefix}${pointer.replace(/[^A-Za-z0-9_-]/g, '_')}`;
const num = (value: unknown) => (typeof value === 'number' ? value : undefined);

function constraints(field: Field): Record<string, unknown> {
  const s = field.schema;
  if (field.kind === 'integer' || field.kind === 'number') {
    const exclusiveMin = num(s.exclusiveMinimum);
    const exclusiveMax = num(s.exclusiveMaximum);
    return {
      min: num(s.minimum) ?? (exclusiveMin === undefined ? undefined : exclusiveMin + (field.kind === 'integer' ? 1 : 0)),
      max: num(s.maximum) ?? (exclusiveMax === undefined ? undefined : exclusiveMax - (field.kind === 'integer' ? 1 : 0)),
      step: field.kind === 'integer' ? 1 : 'any',
      inputMode: field.kind === 'integer' ? 'numeric' : 'decimal',
    };
  }
  if (field.kind === 'text') return { minLength: num(s.minLength), maxLength: num(s.maxLength) };
  return {};
}

function Help(props: { id: string; field: Field; error?: string }) {
  return html`${props.field.description && html`<span class="help" id=${`${props.id}-help`}><${Prose} text=${props.field.description} /></span>`}
  ${props.error && html`<span class="field-error" id=${`${props.id}-error`}>${props.field.label} ${props.error}</span>`}`;
}

function describedBy(id: string, field: Field, error?: string): string | undefined {
  const ids = [field.description && `${id}-help`, error && `${id}-error`].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

/** One field (an object: a fieldset of its fields). */
export function SchemaFields(props: FieldsProps) {
  const { field, raw, onChange, errors, idPrefix } = props;
  const id = idOf(idPrefix, field.pointer);
  const error = errors[field.pointer];
  const required = field.required ? html`<span class="required" aria-hidden="true"> *</span>` : '';
  switch (field.kind) {
    case 'const':
      return null;
    case 'object': {
      const children = (field.fields ?? []).map((child) => html`<${SchemaFields} ...${props} field=${child} />`);
      // The root object is the form itself.
      if (field.pointer === '') return html`${children}`;
      return html`<fieldset class="fieldset">
        <legend>${field.label}${required}</legend>
        ${field.description && html`<p class="help"><${Prose} text=${field.description} /></p>`}
        ${error && html`<p class="field-error">${field.label} ${error}</p>`}
        ${children}
      </fieldset>`;
    }
    case 'boolean':
      return html`<div class="field field-check">
        <input type="checkbox" id=${id} checked=${raw[field.pointer] === true} onChange=${(e: Event) => onChange(field.pointer, (e.currentTarget as HTMLInputElement).checked)}
          aria-invalid=${error ? 'true' : undefined} aria-describedby=${describedBy(id, field, error)} />
        <label for=${id}>${field.label}</label>
        <${Help} id=${id} field=${field} error=${error} />
      </div>`;
    case 'multi': {
      const chosen = (raw[field.pointer] as string[] | undefined) ?? [];
      return html`<fieldset class="fieldset" aria-describedby=${describedBy(id, field, error)}>
        <legend>${field.label}${required}</legend>
        ${(field.options ?? []).map((option, i) => {
          const value = String(option);
          const toggle = (e: Event) =>
            onChange(field.pointer, (e.currentTarget as HTMLInputElement).checked ? [...chosen, value] : chosen.filter((c) => c !== value));
          return html`<div class="field-check"><input type="checkbox" id=${`${id}-${i}`} checked=${chosen.includes(value)} onChange=${toggle} /><label for=${`${id}-${i}`}>${value}</label></div>`;
        })}
        <${Help} id=${id} field=${field} error=${error} />
      </fieldset>`;
    }
    default: {
      const value = typeof raw[field.pointer] === 'string' ? (raw[field.pointer] as string) : '';
      const set = (e: Event) => onChange(field.pointer, (e.currentTarget as HTMLInputElement).value);
      const common = {
        id,
        name: field.pointer,
        required: field.required,
        'aria-invalid': error ? 'true' : undefined,
        'aria-describedby': describedBy(id, field, error),
      };
      let input: unknown;
      if (field.kind === 'enum') {
        input = html`<select ...${common} value=${value} onChange=${set}>
          <option value="">${field.required ? 'Choose…' : '(none)'}</option>
          ${(field.options ?? []).map((option) => html`<option value=${String(option)}>${String(option)}</option>`)}
        </select>`;
      } else if (field.kind === 'json') {
        input = html`<textarea ...${common} rows="4" spellcheck="false" value=${value} onInput=${set} placeholder="JSON"></textarea>`;
      } else if (field.kind === 'text' && (num(field.schema.maxLength) ?? 0) > 10_000) {
        input = html`<textarea ...${common} rows="3" value=${value} onInput=${set} ...${constraints(field)}></textarea>`;
      } else {
        const type = field.kind === 'text' ? 'text' : 'number';
        input = html`<input ...${common} type=${type} value=${value} onInput=${set} autocomplete="off" ...${constraints(field)} />`;
      }
      return html`<div class="field">
        <label for=${id}>${field.label}${required}${field.kind === 'json' ? html` <span class="muted">(JSON)</span>` : ''}</label>
        ${input}
        <${Help} id=${id} field=${field} error=${error} />
      </div>`;
    }
  }
}
