import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { startLocalStack } from '/work/wt-webhooks/lib/local/local-stack.ts';
process.env.LONGRUN_WEBHOOK_RETRY_DELAYS = '1,2,4';
const got: any[] = [];
const srv = createServer((req, res) => { let b=''; req.on('data', c => b+=c); req.on('end', () => { got.push({ headers: req.headers, body: b, t: Date.now() }); res.writeHead(200); res.end('ok'); }); });
await new Promise<void>(r => srv.listen(0, '127.0.0.1', () => r()));
const port = (srv.address() as any).port;
const stack = await startLocalStack({ apiKeys: ['k1'], log: (l) => { if (!l.startsWith('[http]')) console.error(l); } });
try {
  const sec = await (await fetch(`${stack.baseUrl}/webhook-secret`, { headers: { 'x-api-key': 'k1' } })).json();
  console.log('secret', sec);
  const r = await fetch(`${stack.baseUrl}/tasks`, { method: 'POST', headers: { 'x-api-key': 'k1', 'content-type': 'application/json' }, body: JSON.stringify({ type: 'fail', input: { message: 'boom' }, callbackUrl: `http://127.0.0.1:${port}/hook` }) });
  const task = await r.json(); console.log(r.status, task.status, task.callback);
  for (let i = 0; i < 100 && got.length === 0; i++) await new Promise(r => setTimeout(r, 100));
  console.log('deliveries', got.length);
  if (got[0]) { console.log(got[0].headers); console.log(new Webhook(sec.secret).verify(got[0].body, got[0].headers as any)); }
  await new Promise(r => setTimeout(r, 500));
  console.log(await (await fetch(`${stack.baseUrl}/tasks/${task.id}`, { headers: { 'x-api-key': 'k1' } })).json());
  console.log(JSON.stringify(await (await fetch(`${stack.eventBusEndpoint}/events`)).json()).slice(0, 600));
} finally { await stack.stop(); srv.close(); }
