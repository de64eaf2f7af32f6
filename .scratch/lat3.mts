import { DynamoDBClient, CreateTableCommand, PutItemCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient, DescribeStreamCommand, GetShardIteratorCommand, GetRecordsCommand } from '@aws-sdk/client-dynamodb-streams';
import { startDynamoDbLocal, LOCAL_CREDENTIALS } from '/work/wt-webhooks/lib/local/dynamodb-local.ts';
const d = await startDynamoDbLocal({});
try {
  const c = new DynamoDBClient({ endpoint: d.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const s = new DynamoDBStreamsClient({ endpoint: d.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  await c.send(new CreateTableCommand({ TableName: 'ttt', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST', StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } }));
  const arn = (await c.send(new DescribeTableCommand({ TableName: 'ttt' }))).Table!.LatestStreamArn!;
  const shard = (await s.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription!.Shards![0]!.ShardId!;
  let it = (await s.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
  for (let i = 0; i < 5; i++) {
    const t0 = Date.now();
    await c.send(new PutItemCommand({ TableName: 'ttt', Item: { id: { S: 'x' + i } } }));
    let got = 0; let calls = 0;
    while (!got) { const r = await s.send(new GetRecordsCommand({ ShardIterator: it })); it = r.NextShardIterator; got = r.Records?.length ?? 0; calls++; }
    console.log('visible after', Date.now() - t0, 'ms,', calls, 'calls');
  }
  // burst
  const t0 = Date.now();
  await Promise.all(Array.from({ length: 200 }, (_, i) => c.send(new PutItemCommand({ TableName: 'ttt', Item: { id: { S: 'b' + i } } }))));
  const tw = Date.now() - t0; let total = 0, calls = 0;
  while (total < 200) { const r = await s.send(new GetRecordsCommand({ ShardIterator: it, Limit: 100 })); it = r.NextShardIterator; total += r.Records?.length ?? 0; calls++; }
  console.log('burst 200: written in', tw, 'ms; read in', Date.now() - t0 - tw, 'ms,', calls, 'calls');
} finally { await d.stop(); }
