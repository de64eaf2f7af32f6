/**
 * Submit a task: one form per task type, generated from the type's submission schema in the OpenAPI document
 * (its input, the callback URL, and whatever else the document's submission takes), sent with an
 * Idempotency-Key so that a double submit makes one task.
 */
import { html } from 'htm/preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Api } from '../api.ts';
import type { Capabilities } from '../capabilities.ts';
import type { Task } from '../format.ts';
import { ApiError } from '../problems.ts';
import { buildValue, defaults, errorsOnFields, formOf, type RawValues } from '../schema-form.ts';
import { Empty, ProblemBox, Prose } from './parts.ts';
import { SchemaFields } from './schema-fields.ts';

function newKey(): string {
  return crypto.randomUUID();
}

export function SubmitPage(props: {
  api: Api;
  caps: Capabilities;
  type?: string;
  onSubmitted: (task: Task) => void;
  onType: (type: string) => void;
}) {
  const { api, caps } = props;
  const chosen = caps.taskTypes.find((t) => t.name === props.type) ?? caps.taskTypes[0];
  const form = useMemo(() => {
    if (!chosen) return undefined;
    const built = formOf(chosen.schema);
    // The input's description is the type's, shown under the type already.
    const input = built.fields?.find((f) => f.pointer === '/input');
    if (input) input.description = undefined;
    return built;
  }, [chosen]);
  const [raw, setRaw] = useState<RawValues>({});
  const [deadline, setDeadline] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  // The same body is sent with the same key (a retried submit is the same task); a changed body gets a new one.
  const sent = useRef<{ body: string; key: string } | undefined>(undefined);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => heading.current?.focus(), []);
  useEffect(() => {
    setRaw(form ? defaults(form) : {});
    setErrors({});
    setProblem(undefined);
  }, [form]);

  if (!chosen || !form) {
    return html`<section><h1 tabindex="-1" ref=${heading}>New task</h1>
      <${Empty} title="This API describes no task types.">
        <p>Its OpenAPI document (<code>/openapi.json</code>) lists none in <code>Submission</code>.</p>
      <//></section>`;
  }

  const submit = async (e: Event) => {
    e.preventDefault();
    const built = buildValue(form, raw);
    setErrors(Object.fromEntries(built.errors.map((x) => [x.pointer, x.detail])));
    if (built.errors.length) return;
    const body = JSON.stringify(built.value);
    if (sent.current?.body !== body) sent.current = { body, key: newKey() };
    setBusy(true);
    setProblem(undefined);
    try {
      const headers: Record<string, string> = {};
      if (caps.idempotencyKey) headers['idempotency-key'] = sent.current.key;
      // Steering: a deadline, when the API takes Cancel-After.
      if (caps.deadline && deadline.trim()) headers['cancel-after'] = deadline.trim();
      const answer = await api.call<Task>('POST', 'tasks', { body: built.value, headers });
      props.onSubmitted(answer.body);
    } catch (error) {
      setProblem(error);
      if (error instanceof ApiError) setErrors(errorsOnFields(form, error.problem.errors ?? []));
    } finally {
      setBusy(false);
    }
  };

  return html`<section aria-labelledby="submit-heading">
    <p><a href="#/">← All tasks</a></p>
    <h1 id="submit-heading" tabindex="-1" ref=${heading}>New task</h1>
    <form class="submit" onSubmit=${submit}>
      <div class="field">
        <label for="submit-type">Type</label>
        <select id="submit-type" value=${chosen.name} onChange=${(e: Event) => props.onType((e.currentTarget as HTMLSelectElement).value)}>
          ${caps.taskTypes.map((t) => html`<option value=${t.name}>${t.name}</option>`)}
        </select>
        ${chosen.description && html`<span class="help"><${Prose} text=${chosen.description} /></span>`}
      </div>
      <${SchemaFields} field=${form} raw=${raw} errors=${errors} idPrefix="submit" onChange=${(p: string, v: RawValues[string]) => setRaw({ ...raw, [p]: v })} />
      ${
        caps.deadline &&
        html`<div class="field">
        <label for="submit-deadline">Deadline</label>
        <input id="submit-deadline" value=${deadline} onInput=${(e: Event) => setDeadline((e.currentTarget as HTMLInputElement).value)} placeholder="e.g. 90s, 5m, 1h30m" aria-describedby="submit-deadline-help" />
        <span class="help" id="submit-deadline-help">Sent as Cancel-After: the task fails if it has not ended by then.</span>
      </div>`
      }
      ${problem && html`<${ProblemBox} error=${problem} />`}
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Submitting…' : `Submit ${chosen.name} task`}</button>
    </form>
  </section>`;
}
