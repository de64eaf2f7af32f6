/** TaskTable: the one DynamoDB table of tasks (and idempotency claims). */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/** The owner index: the caller's tasks, newest first (ids are UUIDv7, so id order is creation order). */
export const OWNER_INDEX_NAME = 'byOwner';

export interface TaskTableProps {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

export class TaskTable extends Construct {
  /** Partition key `id`, GSI `byOwner` (`owner`, `id`), TTL attribute `ttl`. */
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: TaskTableProps = {}) {
    super(scope, id);
    // 'Default' hides this level from the logical id: the table keeps the id it had before the
    // construct was split, so an existing deployment's table is never replaced.
    this.table = new dynamodb.Table(this, 'Default', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'ttl',
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: OWNER_INDEX_NAME,
      partitionKey: { name: 'owner', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
}
