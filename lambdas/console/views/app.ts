/**
 * The console: asks for the key, reads what the API offers from its OpenAPI document, and shows the page the
 * address names (`#/` the list, `#/tasks/<id>` a task, `#/new` the submit form). The key never enters the address.
 */
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api } from '../api.ts';
import { type Capabilities, detectCapabilities } from '../capabilities.ts';
import { ApiError, networkProblem, problemFrom } from '../problems.ts';
import { KeyForm } from './key-form.ts';
import { ListPage, type ListQuery } from './list-page.ts';
import { Loading, ProblemBox } from './parts.ts';
import { SubmitPage } from './submit-page.ts';
import { TaskPage } from './task-page.ts';

/** Where the key is kept: this tab's sessionStorage, gone when the tab closes. */
const KEY_ITEM = 'longrun-console:api-key';
const QUERY_NAMES = ['status', 'type', 'metadata', 'createdAfter', 'createdBefore'] as const;

type Route = { view: 'list'; query: ListQuery } | { view: 'task'; id: string } | { view: 'submit'; type?: string };

function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?');
  let parts: string[];
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    parts = [];
  }
  if (parts[0] === 'tasks' && parts[1]) return { view: 'task', id: parts[1] };
  if (parts[0] === 'new') return { view: 'submit', ...(parts[1] && { type: parts[1] }) };
  const params = new URLSearchParams(search);
  const query: ListQuery = {};
  for (const name of QUERY_NAMES) {
    const value = params.get(name);
    if (value) query[name] = value;
  }
  return { view: 'list', query };
}

function listHash(query: ListQuery): string {
  const params = new URLSearchParams();
  for (const name of QUERY_NAMES) if (query[name]) params.set(name, query[name]!);
  const search = params.toString();
  return search ? `#/?${search}` : '#/';
}

function readKey(): string | undefined {
  try {
    return sessionStorage.getItem(KEY_ITEM) ?? undefined;
  } catch {
    return undefined;
  }
}

async function loadCapabilities(base: string): Promise<Capabilities> {
  let response: Response;
  try {
    response = await fetch(new URL('openapi.json', base), { headers: { accept: 'application/json' }, credentials: 'omit' });
  } catch {
    throw new ApiError(networkProblem());
  }
  const text = await response.text();
  if (!response.ok) throw new ApiError(problemFrom(response.status, text));
  return detectCapabilities(JSON.parse(text));
}

/** Enough of the key to tell two apart, never enough to use: the last 4 characters of a long key only. */
function maskKey(key: string): string {
  return key.length >= 16 ? `••••${key.slice(-4)}` : '••••';
}

const TITLES = { list: 'Tasks', task: 'Task', submit: 'New task' };

export function App(props: { base: string }) {
  const [key, setKey] = useState(readKey);
  const [hash, setHash] = useState(location.hash);
  const [caps, setCaps] = useState<Capabilities>();
  const [capsError, setCapsError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);
  const route = parseRoute(hash);
  const api = useMemo(() => (key ? new Api(props.base, key) : undefined), [key]);

  useEffect(() => {
    const onHash = () => setHash(location.hash);
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    setCapsError(undefined);
    loadCapabilities(props.base).then(setCaps, setCapsError);
  }, [attempt]);
  useEffect(() => {
    document.title = `${TITLES[route.view]} · Longrun console`;
  }, [route.view]);

  const remember = (value: string) => {
    sessionStorage.setItem(KEY_ITEM, value);
    setKey(value);
  };
  const forget = () => {
    sessionStorage.removeItem(KEY_ITEM);
    setKey(undefined);
  };
  const go = (to: string) => {
    location.hash = to;
  };

  let page: unknown;
  if (!api) page = html`<${KeyForm} base=${props.base} onKey=${remember} />`;
  else if (capsError)
    page = html`<h1>Longrun console</h1><p>The console reads what this API offers from its OpenAPI document, which did not load.</p><${ProblemBox} error=${capsError} onRetry=${() => setAttempt((n) => n + 1)} />`;
  else if (!caps) page = html`<${Loading} label="Reading what this API offers…" />`;
  else if (route.view === 'task') page = html`<${TaskPage} key=${route.id} api=${api} caps=${caps} id=${route.id} />`;
  else if (route.view === 'submit')
    page = html`<${SubmitPage} api=${api} caps=${caps} type=${route.type} onType=${(t: string) => go(`#/new/${encodeURIComponent(t)}`)}
      onSubmitted=${(t: { id: string }) => go(`#/tasks/${encodeURIComponent(t.id)}`)} />`;
  else page = html`<${ListPage} api=${api} caps=${caps} query=${route.query} onQuery=${(q: ListQuery) => go(listHash(q))} />`;

  return html`<header class="top">
      <a class="brand" href="#/">Longrun console</a>
      ${
        api &&
        html`<nav aria-label="Console"><a href="#/" aria-current=${route.view === 'list' ? 'page' : undefined}>Tasks</a>
        <a href="#/new" aria-current=${route.view === 'submit' ? 'page' : undefined}>New task</a></nav>
        <span class="key-state">Key ${maskKey(key!)} <button type="button" class="link" onClick=${forget}>Forget key</button></span>`
      }
    </header>
    <main id="main">${page}</main>`;
}
