import { spawn } from 'node:child_process';
import { mkdtempSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebhookReceiver, freePort } from '/work/wt-webhooks/test/support/webhook-receiver.ts';
const dir = mkdtempSync(join(tmpdir(), 'wh-persist-'));
const start = async (n: number) => {
  const ready = join(dir, `ready${n}.json`);
  const child = spawn('node_modules/.bin/tsx', ['bin/local.ts', '--port', '0', '--persist', join(dir, 'db'), '--ready-json', ready, '--quiet'], { env: { ...process.env, LONGRUN_API_KEYS: 'k1', LONGRUN_WEBHOOK_RETRY_DELAYS: '30,30,30' }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (d) => process.stderr.write(`[${n}] ${d}`));
  while (!existsSync(ready)) await new Promise((r) => setTimeout(r, 200));
  return { child, info: JSON.parse(readFileSync(ready, 'utf8')) };
};
const port = await freePort();
let a = await start(1);
const r = await fetch(`${a.info.baseUrl}/tasks`, { method: 'POST', headers: { 'x-api-key': 'k1', 'content-type': 'application/json' }, body: JSON.stringify({ type: 'fail', input: { message: 'x' }, callbackUrl: `http://127.0.0.1:${port}/h` }) });
const task = await r.json();
for (let i = 0; i < 100; i++) { const t = await (await fetch(`${a.info.baseUrl}/tasks/${task.id}`, { headers: { 'x-api-key': 'k1' } })).json(); if (t.callback?.attempts === 1) { console.log('attempt 1 failed, killing', t.callback); break; } await new Promise((r) => setTimeout(r, 200)); }
a.child.kill('SIGKILL');
await new Promise((r) => setTimeout(r, 1000));
// DynamoDB Local's java may survive kill -9 of the parent; find and kill it? (the local stack handles --persist restarts)
const receiver = await new WebhookReceiver().start(port);
const b = await start(2);
for (let i = 0; i < 150 && receiver.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 200));
const t = await (await fetch(`${b.info.baseUrl}/tasks/${task.id}`, { headers: { 'x-api-key': 'k1' } })).json();
console.log('after restart: receiver got', receiver.requests.length, 'callback', t.callback);
b.child.kill('SIGTERM');
await receiver.stop();
await new Promise((r) => setTimeout(r, 3000));
rmSync(dir, { recursive: true, force: true });
