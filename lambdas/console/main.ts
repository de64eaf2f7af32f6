/** The console's entry: served as /console/app.js, it finds the API's root from its own URL (`<root>/console/app.js`). */
import { html, render } from 'htm/preact';
import { App } from './views/app.ts';

const base = new URL('../', import.meta.url).href;
const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} base=${base} />`, root);
}
