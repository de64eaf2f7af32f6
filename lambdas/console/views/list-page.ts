/**
 * The task list: the caller's own tasks, newest first, filtered and paged as `GET /tasks` allows, followed while
 * a task on it is open (over one live-channel connection where the API offers it, else by re-reading it). Filters the API does not offer are either left out (metadata, created range) or, for the
 * type, applied to the tasks loaded, saying so.
 */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../api.ts';
import type { Capabilities } from '../capabilities.ts';
import { isOpen, shortId, type Task } from '../format.ts';
import { followList, LIST_REFRESH_SECONDS } from '../live.ts';
import { ApiError } from '../problems.ts';
import { Empty, Loading, ProblemBox, ProgressBar, StatusBadge, Time } from './parts.ts';

const PAGE_SIZE = 20;

/** The filters, as they appear in the address (`#/?status=running&type=sleep`). */
export interface ListQuery {
  status?: string;
  type?: string;
  /** `key=value` (only when the API filters on metadata). */
  metadata?: string;
  createdAfter?: string;
  createdBefore?: string;
}

interface Page {
  items: Task[];
  nextCursor: string | null;
}

/** The page with a task the live channel sent: replaced in place, added on top when new and matching, dropped when it no longer matches. */
function merged(current: Page, task: Task, query: ListQuery): Page {
  const fits = (!query.status || task.status === query.status) && (!query.type || task.type === query.type);
  const others = current.items.filter((t) => t.id !== task.id);
  if (others.length < current.items.length) return { ...current, items: fits ? current.items.map((t) => (t.id === task.id ? task : t)) : others };
  return fits && !query.metadata && !query.createdAfter && !query.createdBefore ? { ...current, items: [task, ...current.items] } : current;
}

/** The query string `GET /tasks` gets: only the filters the API takes. */
function listParams(caps: Capabilities, query: ListQuery, limit: number, cursor?: string): string {
  const params = new URLSearchParams({ limit: String(limit) });
  if (query.status && caps.listFilters.status) params.set('status', query.status);
  if (query.type && caps.listFilters.type) params.set('type', query.type);
  // Steering and finding: metadata and created-range filters, when the API offers them.
  if (query.metadata && caps.listFilters.metadata) {
    const [key, ...value] = query.metadata.split('=');
    if (key) params.append(`metadata.${key}`, value.join('='));
  }
  if (query.createdAfter && caps.listFilters.createdAfter) params.set('createdAfter', new Date(query.createdAfter).toISOString());
  if (query.createdBefore && caps.listFilters.createdBefore) params.set('createdBefore', new Date(query.createdBefore).toISOString());
  if (cursor) params.set('cursor', cursor);
  return `tasks?${params}`;
}

function Filters(props: { caps: Capabilities; query: ListQuery; onQuery: (query: ListQuery) => void }) {
  const { caps, query } = props;
  const [metadata, setMetadata] = useState(query.metadata ?? '');
  const set = (name: keyof ListQuery) => (e: Event) => props.onQuery({ ...query, [name]: (e.currentTarget as HTMLInputElement).value || undefined });
  const types = caps.taskTypes.map((t) => t.name);
  const apply = (e: Event) => {
    e.preventDefault();
    props.onQuery({ ...query, metadata: metadata || undefined });
  };
  return html`<form class="filters" aria-label="Filters" onSubmit=${apply}>
    ${
      caps.listFilters.status &&
      html`<div class="field"><label for="filter-status">Status</label>
      <select id="filter-status" value=${query.status ?? ''} onChange=${set('status')}>
        <option value="">Any</option>
        ${caps.statuses.map((s) => html`<option value=${s}>${s}</option>`)}
      </select></div>`
    }
    <div class="field"><label for="filter-type">Type</label>
      <select id="filter-type" value=${query.type ?? ''} onChange=${set('type')}>
        <option value="">Any</option>
        ${types.map((t) => html`<option value=${t}>${t}</option>`)}
      </select></div>
    ${
      caps.listFilters.metadata &&
      html`<div class="field"><label for="filter-metadata">Metadata</label>
      <input id="filter-metadata" placeholder="key=value" value=${metadata} onInput=${(e: Event) => setMetadata((e.currentTarget as HTMLInputElement).value)} /></div>
      <button type="submit">Apply</button>`
    }
    ${
      caps.listFilters.createdAfter &&
      html`<div class="field"><label for="filter-after">Created after</label>
      <input id="filter-after" type="datetime-local" value=${query.createdAfter ?? ''} onChange=${set('createdAfter')} /></div>`
    }
    ${
      caps.listFilters.createdBefore &&
      html`<div class="field"><label for="filter-before">Created before</label>
      <input id="filter-before" type="datetime-local" value=${query.createdBefore ?? ''} onChange=${set('createdBefore')} /></div>`
    }
  </form>`;
}

export function ListPage(props: { api: Api; caps: Capabilities; query: ListQuery; onQuery: (query: ListQuery) => void }) {
  const { api, caps, query } = props;
  const [page, setPage] = useState<Page | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState<'load' | 'more' | undefined>('load');
  const [refreshedAt, setRefreshedAt] = useState<number>();
  const [visible, setVisible] = useState(document.visibilityState === 'visible');
  const [attempt, setAttempt] = useState(0);
  // Counts live re-reads, so that one that failed (the page unchanged) still schedules the next.
  const [reads, setReads] = useState(0);
  // The live channel: unused, open, or not usable here (then the list re-reads); `resync` asks for one re-read.
  const [socket, setSocket] = useState<'off' | 'on' | 'failed'>('off');
  const [resync, setResync] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);
  const key = JSON.stringify(query);
  // The type filter in the browser when the API does not take it.
  const localType = query.type && !caps.listFilters.type ? query.type : undefined;

  useEffect(() => heading.current?.focus(), []);

  useEffect(() => {
    const controller = new AbortController();
    setPage(undefined);
    setError(undefined);
    setBusy('load');
    api
      .call<Page>('GET', listParams(caps, query, PAGE_SIZE), { signal: controller.signal })
      .then((answer) => {
        setPage(answer.body);
        setRefreshedAt(Date.now());
      })
      .catch((e) => controller.signal.aborted || setError(e))
      .finally(() => controller.signal.aborted || setBusy(undefined));
    return () => controller.abort();
  }, [key, attempt]);

  useEffect(() => {
    const onVisibility = () => setVisible(document.visibilityState === 'visible');
    document.addEventListener('visibilitychange', onVisibility);
    return () => document.removeEventListener('visibilitychange', onVisibility);
  }, []);

  // Live: while a loaded task is open and the page is in view, follow the caller's tasks over the live channel where the
  // API offers it, else re-read what is loaded (up to the API's page limit) every few seconds.
  const live = !!page && visible && page.items.some((t) => isOpen(t.status));
  const viaSocket = live && caps.live && socket !== 'failed';
  const reread = (signal: AbortSignal) => {
    const limit = Math.max(PAGE_SIZE, Math.min(caps.listMaxLimit, page?.items.length ?? 0));
    api
      .call<Page>('GET', listParams(caps, query, limit), { signal })
      .then((answer) => {
        setError(undefined);
        setRefreshedAt(Date.now());
        setPage((current) => {
          if (!current || current.items.length <= limit) return answer.body;
          // More is loaded than one read returns: refresh the first `limit`, keep the rest and its cursor.
          const fresh = new Set(answer.body.items.map((t) => t.id));
          return { items: [...answer.body.items, ...current.items.slice(limit).filter((t) => !fresh.has(t.id))], nextCursor: current.nextCursor };
        });
      })
      .catch((e) => signal.aborted || setError(e))
      .finally(() => signal.aborted || setReads((n) => n + 1));
  };
  useEffect(() => {
    if (!live || !page || viaSocket) return;
    const controller = new AbortController();
    const timer = setTimeout(() => reread(controller.signal), LIST_REFRESH_SECONDS * 1000);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [live, page, key, reads, viaSocket]);
  useEffect(() => {
    if (!viaSocket) return;
    setSocket('off');
    const controller = new AbortController();
    const { signal } = controller;
    followList(
      api,
      signal,
      (task) => {
        setRefreshedAt(Date.now());
        setPage((current) => current && merged(current, task, query));
      },
      () => {
        setSocket('on');
        // What changed between the last read and this subscription (or while the connection was down) came over no socket.
        setResync((n) => n + 1);
      },
    ).then((usable) => signal.aborted || usable || setSocket('failed'));
    return () => controller.abort();
  }, [viaSocket, key]);
  useEffect(() => {
    if (!resync) return;
    const controller = new AbortController();
    reread(controller.signal);
    return () => controller.abort();
  }, [resync]);

  const more = () => {
    if (!page?.nextCursor) return;
    setBusy('more');
    api
      .call<Page>('GET', listParams(caps, query, PAGE_SIZE, page.nextCursor))
      .then((answer) => {
        setError(undefined);
        setPage((current) => {
          const seen = new Set(current?.items.map((t) => t.id));
          return { items: [...(current?.items ?? []), ...answer.body.items.filter((t) => !seen.has(t.id))], nextCursor: answer.body.nextCursor };
        });
      })
      .catch(setError)
      .finally(() => setBusy(undefined));
  };

  const items = (page?.items ?? []).filter((t) => !localType || t.type === localType);
  const filtered = Object.values(query).some(Boolean);
  const unauthorized = error instanceof ApiError && (error.problem.status === 401 || error.problem.status === 403);

  return html`<section aria-labelledby="list-heading">
    <div class="page-head">
      <h1 id="list-heading" tabindex="-1" ref=${heading}>Tasks</h1>
      <a class="button" href="#/new">New task</a>
    </div>
    <${Filters} caps=${caps} query=${query} onQuery=${props.onQuery} />
    ${
      localType &&
      html`<p class="note">The API lists by status only: the type is matched among the tasks loaded here. “Load more” looks further back.</p>`
    }
    <p class="live muted" role="status">
      ${
        busy === 'load'
          ? ''
          : viaSocket
            ? socket === 'on'
              ? 'Live: following your tasks over the live channel (WebSocket) while one here is open.'
              : 'Connecting…'
            : live
              ? `Live: re-read every ${LIST_REFRESH_SECONDS} s while a task here is open.`
              : page
                ? 'Up to date: no task here is open.'
                : ''
      }
      ${refreshedAt && !busy ? html` <span class="updated">Updated <time datetime=${new Date(refreshedAt).toISOString()}>${new Date(refreshedAt).toLocaleTimeString()}</time>.</span>` : ''}
    </p>
    ${error && html`<${ProblemBox} error=${error} onRetry=${unauthorized ? undefined : () => setAttempt((n) => n + 1)} />`}
    ${busy === 'load' && html`<${Loading} label="Loading tasks…" />`}
    ${
      page && items.length === 0 && !(page.nextCursor && localType)
        ? html`<${Empty} title=${filtered ? 'No task matches these filters.' : 'No tasks yet.'}>
          <p>${filtered ? html`<a href="#/">Clear the filters</a> or ` : ''}<a href="#/new">submit a task</a>.</p>
        <//>`
        : ''
    }
    ${
      items.length > 0 &&
      html`<table class="tasks">
      <caption class="visually-hidden">Your tasks, newest first</caption>
      <thead><tr><th scope="col">Task</th><th scope="col">Status</th><th scope="col">Progress</th><th scope="col">Created</th><th scope="col">Updated</th></tr></thead>
      <tbody>
        ${items.map(
          (task) => html`<tr key=${task.id} data-task-id=${task.id} data-status=${task.status}>
            <td><a href=${`#/tasks/${encodeURIComponent(task.id)}`}><span class="type">${task.type}</span> <code>${shortId(task.id)}</code></a></td>
            <td><${StatusBadge} status=${task.status} /></td>
            <td><${ProgressBar} task=${task} label=${`Progress of ${task.type} ${shortId(task.id)}`} /></td>
            <td><${Time} iso=${task.createdAt} /></td>
            <td><${Time} iso=${task.updatedAt} /></td>
          </tr>`,
        )}
      </tbody>
    </table>`
    }
    ${
      page?.nextCursor &&
      html`<p><button type="button" onClick=${more} disabled=${busy === 'more'}>${busy === 'more' ? 'Loading…' : 'Load more'}</button>
      ${localType && items.length === 0 ? html` <span class="muted">No ${localType} task among the ${page.items.length} loaded yet.</span>` : ''}</p>`
    }
  </section>`;
}
