import { startLocalStack } from '/work/wt-webhooks/lib/local/local-stack.ts';
import { runWebhookLoad } from '/work/wt-webhooks/bench/webhooks.ts';
import { LocalQueue } from '/work/wt-webhooks/lib/local/local-queue.ts';
process.env.LONGRUN_WEBHOOK_RETRY_DELAYS = '1,2,4';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
const sentAt = new Map<string, number>(); const recvAt = new Map<string, number>();
const oSend = LocalQueue.prototype.send;
LocalQueue.prototype.send = function (body: string, d?: number) { try { sentAt.set(JSON.parse(body).taskId, Date.now()); } catch {} return oSend.call(this, body, d); };
const oRecv = LocalQueue.prototype.receive;
LocalQueue.prototype.receive = function (max: number, dl?: any) { const r = oRecv.call(this, max, dl); for (const m of r) { try { const id = JSON.parse(m.body).taskId; if (!recvAt.has(id)) recvAt.set(id, Date.now()); } catch {} } return r; };
const stack = await startLocalStack({ apiKeys: ['k1'], log: (l) => { if (!/^\[(http|bus)\]/.test(l)) console.error(l); } });
try {
  const r = await runWebhookLoad({ baseUrl: stack.baseUrl, apiKey: 'k1', tasks: 100, concurrency: 32, failFirstEvery: 0 });
  const s = [...r.latencyMs].sort((a, b) => a - b);
  // task completedAt not available here; approximate: compare queue send->receive and receive-> (lat)
  const q = [...sentAt.keys()].map((id) => (recvAt.get(id) ?? NaN) - sentAt.get(id)!).sort((a, b) => a - b);
  console.log('e2e p50', s[50], 'queue wait p50', q[50], 'max', q.at(-1));
} finally { await stack.stop(); }
