/** Small pieces every page uses: problems, statuses, progress, times, JSON, loading and empty states. */
import { html } from 'htm/preact';
import type { ComponentChildren } from 'preact';
import { absoluteTime, percentOf, prettyJson, relativeTime, type Task } from '../format.ts';
import { ApiError, explain, type Problem } from '../problems.ts';

/** An error, as a person reads it; `onRetry` offers to try again. */
export function ProblemBox(props: { error: unknown; onRetry?: () => void; children?: ComponentChildren }) {
  const apiError = props.error instanceof ApiError ? props.error : undefined;
  const problem: Problem = apiError?.problem ?? { title: 'Something went wrong', detail: String((props.error as Error)?.message ?? props.error) };
  const { heading, message, hint, fields } = explain(problem, apiError?.retryAfter);
  return html`<div class="problem" role="alert">
    <p class="problem-title"><strong>${heading}</strong>${problem.status ? html` <span class="muted">(${problem.status})</span>` : ''}</p>
    ${message && html`<p>${message}</p>`}
    ${fields.length > 0 && html`<ul>${fields.map((f) => html`<li><code>${f.pointer || '/'}</code> ${f.detail}</li>`)}</ul>`}
    ${hint && html`<p class="muted">${hint}</p>`}
    ${props.onRetry && html`<button type="button" onClick=${props.onRetry}>Try again</button>`} ${props.children}
  </div>`;
}

/** A schema's description: plain text, with `code` in backticks shown as code. */
export function Prose(props: { text: string }) {
  return html`${props.text.split('`').map((part, i) => (i % 2 ? html`<code>${part}</code>` : part))}`;
}

/** A task's own error (a `failed` or `cancelled` task's problem). */
export function TaskError(props: { problem: Problem }) {
  const { heading, message } = explain(props.problem);
  return html`<div class="task-error">
    <p><strong>${heading}</strong></p>
    ${message && html`<p>${message}</p>`}
    ${props.problem.type && html`<p class="muted">Type <code>${props.problem.type}</code></p>`}
  </div>`;
}

export function StatusBadge(props: { status: string }) {
  return html`<span class=${`status status-${props.status}`}>${props.status}</span>`;
}

export function ProgressBar(props: { task: Task; label: string }) {
  const percent = percentOf(props.task);
  return html`<span class="progress">
    <progress max="100" value=${percent} aria-label=${props.label}></progress>
    <span class="percent">${percent} %</span>
  </span>`;
}

/** A time as `5 minutes ago`, exact on hover and for assistive technology. */
export function Time(props: { iso?: string }) {
  if (!props.iso) return html`<span class="muted">—</span>`;
  return html`<time datetime=${props.iso} title=${absoluteTime(props.iso)}>${relativeTime(props.iso)}</time>`;
}

export function Json(props: { value: unknown; label: string }) {
  return html`<pre class="json" tabindex="0" aria-label=${props.label}>${prettyJson(props.value)}</pre>`;
}

export function Loading(props: { label: string }) {
  return html`<p class="loading" role="status" aria-live="polite"><span class="spinner" aria-hidden="true"></span>${props.label}</p>`;
}

export function Empty(props: { title: string; children?: ComponentChildren }) {
  return html`<div class="empty">
    <p><strong>${props.title}</strong></p>
    ${props.children}
  </div>`;
}
