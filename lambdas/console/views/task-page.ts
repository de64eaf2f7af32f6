/**
 * One task: status, progress and its estimate (followed live), actions, the error, the result, details, webhook
 * delivery, and what steering adds where the API offers it (input, history, retry, purge, awaited input).
 */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../api.ts';
import { type Capabilities, taskPath } from '../capabilities.ts';
import { describeCallback, type HistoryEntry, isOpen, shortId, type Task } from '../format.ts';
import { followTask, type LiveMode } from '../live.ts';
import { ApiError } from '../problems.ts';
import { buildValue, defaults, errorsOnFields, formOf, type JsonSchema, type RawValues } from '../schema-form.ts';
import { Json, Loading, ProblemBox, ProgressBar, StatusBadge, TaskError, Time } from './parts.ts';
import { SchemaFields } from './schema-fields.ts';

const enc = encodeURIComponent;

const MODE_TEXT: Record<LiveMode, string> = {
  connecting: 'Connecting…',
  socket: 'Live: following the live channel (WebSocket).',
  events: 'Live: following the event stream.',
  polling: 'Live: polling, as often as the API asks (Retry-After).',
  ended: 'Final: this task has ended.',
};

type ResultState =
  | { kind: 'loading' }
  | { kind: 'inline'; value: unknown }
  | { kind: 'stored'; link: string; value: unknown }
  | { kind: 'stored-unreachable' }
  | { kind: 'error'; error: unknown };

/** A succeeded task's result: inline, or stored (the result route answers 303 to a short-lived presigned link). */
function ResultView(props: { api: Api; task: Task }) {
  const { api, task } = props;
  const [state, setState] = useState<ResultState>({ kind: 'loading' });
  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    const path = `tasks/${enc(task.id)}/result`;
    setState({ kind: 'loading' });
    (async () => {
      try {
        const first = await api.call('GET', path, { redirect: 'manual', signal });
        if (!first.opaque) return setState({ kind: 'inline', value: first.body });
        // A 303 to the stored result, whose Location browsers hide from scripts: follow it to read it, and its URL.
        try {
          const followed = await api.call('GET', path, { signal });
          setState({ kind: 'stored', link: followed.url, value: followed.body });
        } catch {
          if (!signal.aborted) setState({ kind: 'stored-unreachable' });
        }
      } catch (error) {
        if (!signal.aborted) setState({ kind: 'error', error });
      }
    })();
    return () => controller.abort();
  }, [task.id, task.completedAt]);

  let body: unknown;
  if (state.kind === 'loading') body = html`<${Loading} label="Loading the result…" />`;
  else if (state.kind === 'error') body = html`<${ProblemBox} error=${state.error} />`;
  else if (state.kind === 'inline') body = html`<${Json} value=${state.value} label="Result" />`;
  else if (state.kind === 'stored')
    body = html`<p>Stored apart from the task (too large to return inline):
        <a href=${state.link} rel="noreferrer noopener" target="_blank" class="result-link">open the stored result</a>
        <span class="muted">(the link expires in a few minutes; reload for a new one)</span>.</p>
      <${Json} value=${state.value} label="Result" />`;
  else
    body = html`<p>Stored apart from the task (too large to return inline), and this browser could not fetch it from the results bucket.
      Get it with <code>npx longrun result ${task.id}</code>.</p>`;
  return html`<section class="card" aria-labelledby="result-heading"><h2 id="result-heading">Result</h2>${body}</section>`;
}

/**
 * Steering and finding: the history timeline, from the task's own `history` or `GET /tasks/{id}/history`,
 * shown only where the API offers one.
 */
function HistoryView(props: { api: Api; caps: Capabilities; task: Task }) {
  const { api, caps, task } = props;
  const [fetched, setFetched] = useState<{ items?: HistoryEntry[]; error?: unknown }>({});
  const own = Array.isArray(task.history) ? task.history : undefined;
  useEffect(() => {
    if (own || !caps.history) return;
    const controller = new AbortController();
    api
      .call<{ items: HistoryEntry[] }>('GET', taskPath(caps.history, task.id), { signal: controller.signal })
      .then((answer) => setFetched({ items: answer.body.items }))
      .catch((error) => controller.signal.aborted || setFetched({ error }));
    return () => controller.abort();
  }, [task.id, task.status, task.attempt, !!task.awaitingInput]);
  if (!own && !caps.history) return null;
  const items = own ?? fetched.items;
  return html`<section class="card" aria-labelledby="history-heading">
    <h2 id="history-heading">History</h2>
    ${fetched.error && html`<${ProblemBox} error=${fetched.error} />`}
    ${!items && !fetched.error && html`<${Loading} label="Loading the history…" />`}
    ${
      items &&
      html`<ol class="timeline">
      ${items.map(
        (entry) => html`<li>
          <${Time} iso=${entry.at} /> <strong>${entry.event}</strong>
          ${entry.status && html` <${StatusBadge} status=${entry.status} />`}
          ${entry.attempt !== undefined && html` <span class="muted">attempt ${entry.attempt}</span>`}
          ${entry.detail && html`<div class="muted">${entry.detail}</div>`}
        </li>`,
      )}
    </ol>`
    }
  </section>`;
}

/** Steering: the form a task awaiting input asks for, generated from its JSON Schema. */
function InputForm(props: { api: Api; path: string; task: Task; onDone: () => void }) {
  const awaiting = props.task.awaitingInput!;
  const schema = (awaiting.schema ?? {}) as JsonSchema;
  const form = formOf(schema, '', 'input');
  if (form.kind !== 'object') form.label = 'Input';
  const [raw, setRaw] = useState<RawValues>(() => defaults(form));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const built = buildValue(form, raw);
    setErrors(Object.fromEntries(built.errors.map((x) => [x.pointer, x.detail])));
    if (built.errors.length) return;
    setBusy(true);
    setProblem(undefined);
    try {
      await props.api.call('POST', props.path, { body: built.value });
      props.onDone();
    } catch (error) {
      setProblem(error);
      if (error instanceof ApiError) setErrors(errorsOnFields(form, error.problem.errors ?? []));
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="card awaiting" aria-labelledby="input-heading">
    <h2 id="input-heading">Input awaited${awaiting.name ? html`: <code>${awaiting.name}</code>` : ''}</h2>
    ${awaiting.prompt && html`<p>${awaiting.prompt}</p>`}
    ${awaiting.expiresAt && html`<p class="muted">Until <${Time} iso=${awaiting.expiresAt} />.</p>`}
    <form onSubmit=${submit}>
      <${SchemaFields} field=${form} raw=${raw} errors=${errors} idPrefix="awaited" onChange=${(p: string, v: RawValues[string]) => setRaw({ ...raw, [p]: v })} />
      ${problem && html`<${ProblemBox} error=${problem} />`}
      <button type="submit" disabled=${busy}>${busy ? 'Sending…' : 'Send input'}</button>
    </form>
  </section>`;
}

export function TaskPage(props: { api: Api; caps: Capabilities; id: string }) {
  const { api, caps, id } = props;
  const [task, setTask] = useState<Task>();
  const [loadError, setLoadError] = useState<unknown>();
  const [live, setLive] = useState<{ mode: LiveMode; detail?: string }>();
  const [liveError, setLiveError] = useState<unknown>();
  const [action, setAction] = useState<{ busy?: string; error?: unknown; notice?: string }>({});
  const [confirmPurge, setConfirmPurge] = useState(false);
  // Bumped after a retry or an answered input: the task is open again, so it is followed again.
  const [generation, setGeneration] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    setLoadError(undefined);
    setLiveError(undefined);
    (async () => {
      try {
        const answer = await api.call<Task>('GET', `tasks/${enc(id)}`, { signal });
        setTask(answer.body);
        if (!isOpen(answer.body.status)) return setLive({ mode: 'ended' });
        await followTask(api, id, {
          onTask: setTask,
          onMode: (mode, detail) => setLive({ mode, ...(detail && { detail }) }),
          onError: setLiveError,
          signal,
          events: caps.events,
          live: caps.live,
        });
      } catch (error) {
        if (!signal.aborted) setLoadError(error);
      }
    })();
    return () => controller.abort();
  }, [id, generation]);

  useEffect(() => {
    if (task) heading.current?.focus();
  }, [!!task]);

  const act = async (name: string, run: () => Promise<void>) => {
    setAction({ busy: name });
    try {
      await run();
      setAction({});
    } catch (error) {
      setAction({ error });
    }
  };
  const cancel = () =>
    act('cancel', async () => {
      const answer = await api.call<Task>('DELETE', `tasks/${enc(id)}`);
      if (answer.body) setTask(answer.body);
    });
  // Steering: retry and purge, when the API offers them.
  const retry = () =>
    act('retry', async () => {
      const answer = await api.call<Task>('POST', taskPath(caps.retry as string, id));
      if (answer.body) setTask(answer.body);
      setGeneration((n) => n + 1);
    });
  const purge = () =>
    act('purge', async () => {
      await api.call('DELETE', `tasks/${enc(id)}?purge=true`);
      setConfirmPurge(false);
      setGeneration((n) => n + 1);
    });

  if (loadError) {
    return html`<section aria-labelledby="task-heading">
      <p><a href="#/">← All tasks</a></p>
      <h1 id="task-heading">Task <code>${shortId(id)}</code></h1>
      <${ProblemBox} error=${loadError} onRetry=${() => setGeneration((n) => n + 1)} />
    </section>`;
  }
  if (!task) return html`<p><a href="#/">← All tasks</a></p><${Loading} label="Loading the task…" />`;

  const open = isOpen(task.status);
  const canRetry = !!caps.retry && (task.links?.retry !== undefined || task.status === 'failed' || task.status === 'cancelled');
  const estimate = task.progress?.estimatedCompletionAt;
  return html`<section aria-labelledby="task-heading">
    <p><a href="#/">← All tasks</a></p>
    <div class="page-head">
      <h1 id="task-heading" tabindex="-1" ref=${heading}><span class="type">${task.type}</span> task <code>${shortId(task.id)}</code></h1>
      <span role="status" aria-label=${`Status: ${task.status}`}><${StatusBadge} status=${task.status} /></span>
    </div>
    <p class="live muted">${live ? MODE_TEXT[live.mode] : ''}${live?.detail ? ` (${live.detail})` : ''}</p>
    ${liveError && html`<${ProblemBox} error=${liveError} onRetry=${() => setGeneration((n) => n + 1)} />`}

    <section class="card" aria-label="Progress">
      <${ProgressBar} task=${task} label="Progress" />
      ${task.progress?.step && html`<p class="step">Step: ${task.progress.step}</p>`}
      ${estimate && open && html`<p class="eta">Estimated to end <${Time} iso=${estimate} />.</p>`}
    </section>

    <div class="actions">
      ${open && html`<button type="button" id="cancel-task" class="danger" onClick=${cancel} disabled=${!!action.busy}>${action.busy === 'cancel' ? 'Cancelling…' : 'Cancel task'}</button>`}
      ${canRetry && !open && html`<button type="button" id="retry-task" onClick=${retry} disabled=${!!action.busy}>${action.busy === 'retry' ? 'Retrying…' : 'Retry'}</button>`}
      ${caps.purge && !confirmPurge && html`<button type="button" id="purge-task" class="danger" onClick=${() => setConfirmPurge(true)} disabled=${!!action.busy}>Purge…</button>`}
      ${
        confirmPurge &&
        html`<span class="confirm" role="group" aria-label="Confirm purge">
        Erase this task's input, result, error detail and metadata now${open ? ' (it is cancelled first)' : ''}?
        <button type="button" class="danger" onClick=${purge} disabled=${!!action.busy}>${action.busy === 'purge' ? 'Purging…' : 'Yes, purge'}</button>
        <button type="button" onClick=${() => setConfirmPurge(false)}>Keep it</button>
      </span>`
      }
    </div>
    ${action.error && html`<${ProblemBox} error=${action.error} />`}

    ${caps.input && task.awaitingInput && html`<${InputForm} api=${api} path=${taskPath(caps.input, task.id)} task=${task} onDone=${() => setGeneration((n) => n + 1)} />`}

    ${task.error && html`<section class="card" aria-labelledby="error-heading"><h2 id="error-heading">Error</h2><${TaskError} problem=${task.error} /></section>`}
    ${task.status === 'succeeded' && html`<${ResultView} api=${api} task=${task} />`}

    <section class="card" aria-labelledby="details-heading">
      <h2 id="details-heading">Details</h2>
      <dl class="details">
        <dt>Id</dt><dd><code>${task.id}</code></dd>
        <dt>Type</dt><dd>${task.type}</dd>
        ${task.attempt !== undefined && html`<dt>Attempt</dt><dd>${task.attempt}</dd>`}
        <dt>Created</dt><dd><${Time} iso=${task.createdAt} /></dd>
        <dt>Started</dt><dd><${Time} iso=${task.startedAt} /></dd>
        <dt>Completed</dt><dd><${Time} iso=${task.completedAt} /></dd>
        ${task.deadline && html`<dt>Deadline</dt><dd><${Time} iso=${task.deadline} /></dd>`}
        ${task.expiresAt && html`<dt>Kept until</dt><dd><${Time} iso=${task.expiresAt} /></dd>`}
        ${
          task.metadata &&
          html`<dt>Metadata</dt><dd><ul class="metadata">${Object.entries(task.metadata).map(([k, v]) => html`<li><code>${k}</code> = ${v}</li>`)}</ul></dd>`
        }
      </dl>
    </section>

    <section class="card" aria-labelledby="webhook-heading">
      <h2 id="webhook-heading">Webhook</h2>
      <p class="callback">${task.callback ? describeCallback(task.callback) : 'None: this task was submitted without a callbackUrl.'}</p>
      ${task.callback?.lastAttemptAt && html`<p class="muted">Last attempt <${Time} iso=${task.callback.lastAttemptAt} />.</p>`}
    </section>

    ${'input' in task && html`<section class="card" aria-labelledby="input-json-heading"><h2 id="input-json-heading">Input</h2><${Json} value=${task.input} label="Input" /></section>`}
    <${HistoryView} api=${api} caps=${caps} task=${task} />
  </section>`;
}
