/** TaskTable: the one DynamoDB table of tasks (and idempotency claims). */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { OPEN_INDEX } from '../../lambdas/domain/open-index.ts';
import { LEGACY_OWNER_INDEX, OWNER_INDEX } from '../../lambdas/domain/owner-index.ts';
import { REPRESENTATION_ATTRIBUTES } from '../../lambdas/domain/representation.ts';

/** What {@link TaskTable} receives. */
export interface TaskTableProps {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Keep the owner index of 0.2.0 (`byOwner`) beside its successor, for the one deploy that upgrades
   * a 0.2.0 table: CloudFormation creates or deletes one index per update (CHANGELOG.md, "From 0.2.0
   * to 0.3.0"). Nothing reads it. @default false
   */
  readonly legacyOwnerIndex?: boolean;
  /** Refuse DeleteTable (a stack deletion or a replacement) until it is switched off. @default true */
  readonly deletionProtection?: boolean;
  /** Encrypt the table (and its stream) with this key. @default - the AWS managed key of DynamoDB */
  readonly encryptionKey?: kms.IKey;
}

/** The one DynamoDB table of tasks (and idempotency claims and webhook secrets), its indexes and stream. */
export class TaskTable extends Construct {
  /** Partition key `id`, GSI `tasksByOwner` (`owner`, `id`), sparse GSI `openTasks` (`openShard`, `sweepAt`), TTL attribute `ttl`, stream NEW_AND_OLD_IMAGES. */
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
      ...(props.encryptionKey
        ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
        : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      deletionProtection: props.deletionProtection ?? true,
      // Webhooks and task events read every write, before and after (lib/task-api/push.ts).
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: OWNER_INDEX.name,
      partitionKey: { name: OWNER_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: OWNER_INDEX.sortKey, type: dynamodb.AttributeType.STRING },
      // Only what a listing shows (the keys are always projected): no inputs or results.
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: REPRESENTATION_ATTRIBUTES.filter((name) => name !== 'id'),
    });
    if (props.legacyOwnerIndex) {
      // Exactly as 0.2.0 declared it, so CloudFormation leaves it alone during the upgrade.
      this.table.addGlobalSecondaryIndex({
        indexName: LEGACY_OWNER_INDEX.name,
        partitionKey: { name: OWNER_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: OWNER_INDEX.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.INCLUDE,
        nonKeyAttributes: [...LEGACY_OWNER_INDEX.projected],
      });
    }
    // Sparse: only open tasks carry these attributes (see lambdas/domain/open-index.ts); the
    // sweeper reads keys, status and creation time, nothing else.
    this.table.addGlobalSecondaryIndex({
      indexName: OPEN_INDEX.name,
      partitionKey: { name: OPEN_INDEX.partitionKey, type: dynamodb.AttributeType.NUMBER },
      sortKey: { name: OPEN_INDEX.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...OPEN_INDEX.projected],
    });
  }
}
