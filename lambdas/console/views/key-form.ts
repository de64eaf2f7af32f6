/** Asks for the API key, checks it with one small request, and hands it on; it is kept in the tab's sessionStorage only. */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Api } from '../api.ts';
import { ProblemBox } from './parts.ts';

export function KeyForm(props: { base: string; onKey: (key: string) => void; reason?: unknown }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(props.reason);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) return;
    setBusy(true);
    setError(undefined);
    try {
      await new Api(props.base, trimmed).call('GET', 'tasks?limit=1');
      props.onKey(trimmed);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return html`<section class="key card" aria-labelledby="key-heading">
    <h1 id="key-heading">Open the console</h1>
    <p>Enter the API key you call this API with. The console shows that caller's tasks only.</p>
    <form onSubmit=${submit}>
      <div class="field">
        <label for="api-key">API key</label>
        <input id="api-key" ref=${input} type="password" autocomplete="off" spellcheck="false" required value=${key}
          onInput=${(e: Event) => setKey((e.currentTarget as HTMLInputElement).value)} aria-describedby="api-key-help" />
        <span class="help" id="api-key-help">Kept in this browser tab only (sessionStorage, gone when the tab closes), and sent to this API only, in the x-api-key header.</span>
      </div>
      ${error && html`<${ProblemBox} error=${error} />`}
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Checking…' : 'Open'}</button>
    </form>
  </section>`;
}
