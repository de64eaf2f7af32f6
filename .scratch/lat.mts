import { startLocalStack } from '/work/wt-webhooks/lib/local/local-stack.ts';
import { runWebhookLoad } from '/work/wt-webhooks/bench/webhooks.ts';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
process.env.LONGRUN_WEBHOOK_RETRY_DELAYS = '1,2,4';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
const orig = DynamoDBStreamsClient.prototype.send;
const stats: Record<string, { n: number; ms: number; recs: number }> = {};
(DynamoDBStreamsClient.prototype as any).send = async function (cmd: any, ...rest: any[]) {
  const t = Date.now(); const r: any = await orig.call(this, cmd, ...rest);
  const k = cmd.constructor.name; stats[k] ??= { n: 0, ms: 0, recs: 0 }; stats[k].n++; stats[k].ms += Date.now() - t; stats[k].recs += r?.Records?.length ?? 0; return r;
};
const stack = await startLocalStack({ apiKeys: ['k1'], log: (l) => { if (!/^\[(http|bus)\]/.test(l)) console.error(l); } });
try {
  for (const n of [20, 100]) {
    for (const k of Object.keys(stats)) delete stats[k];
    const r = await runWebhookLoad({ baseUrl: stack.baseUrl, apiKey: 'k1', tasks: n, concurrency: 32, failFirstEvery: 0 });
    const s = [...r.latencyMs].sort((a, b) => a - b);
    console.log(n, 'p50', s[Math.floor(s.length / 2)], 'max', s.at(-1), 'lost', r.lost.length, JSON.stringify(stats));
  }
} finally { await stack.stop(); }
