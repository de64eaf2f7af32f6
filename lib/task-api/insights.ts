/**
 * TaskInsights: what an on-call opens besides the dashboard.
 * - A saved CloudWatch Logs Insights query that follows one task id through every log group (the
 *   functions' and the state machine's), oldest line first.
 * - A Contributor Insights rule over the API access log ranking callers (API key id, or the JWT
 *   subject) by requests: who is using the API, and who is using it most.
 */
import { Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** What the saved query filters on: replace it with the task id when running the query. */
const TASK_ID_PLACEHOLDER = 'TASK-ID-HERE';

/** What {@link TaskInsights} receives. */
export interface TaskInsightsProps {
  /** Where a task's log lines are: every function's log group, and the state machine's. */
  readonly logGroups: readonly logs.ILogGroup[];
  /** The API access log group (JSON lines with `apiKeyId` and `principalId`, see ./access-log.ts). */
  readonly accessLogGroup: logs.ILogGroup;
  /** Prefix of the query's and the rule's names; unique per account and region. */
  readonly namePrefix: string;
}

/** A saved Logs Insights query for one task id, and a Contributor Insights rule of the top callers. */
export class TaskInsights extends Construct {
  /** The saved query `<prefix>/one-task` (Logs Insights, "Saved queries"). */
  public readonly taskQuery: logs.QueryDefinition;
  /** The Contributor Insights rule `<prefix>-top-callers` (CloudWatch, Contributor Insights). */
  public readonly topCallersRule: cloudwatch.CfnInsightRule;

  constructor(scope: Construct, id: string, props: TaskInsightsProps) {
    super(scope, id);
    this.taskQuery = new logs.QueryDefinition(this, 'TaskQuery', {
      queryDefinitionName: `${props.namePrefix}/one-task`,
      // Functions log the id as `taskId` (JSON); the state machine names executions after it.
      queryString: new logs.QueryString({
        fields: ['@timestamp', '@log', 'level', 'message', 'taskId', 'execution_arn', '@message'],
        filterStatements: [`taskId = "${TASK_ID_PLACEHOLDER}" or @message like "${TASK_ID_PLACEHOLDER}"`],
        sort: '@timestamp asc',
        limit: 1000,
      }),
      logGroups: [...props.logGroups],
    });
    this.topCallersRule = new cloudwatch.CfnInsightRule(this, 'TopCallers', {
      ruleName: `${props.namePrefix}-top-callers`,
      ruleState: 'ENABLED',
      ruleBody: Stack.of(this).toJsonString({
        Schema: { Name: 'CloudWatchLogRule', Version: 1 },
        LogGroupNames: [props.accessLogGroup.logGroupName],
        LogFormat: 'JSON',
        // A caller is its API key id (API key mode) or its token's subject (JWT mode); the other is empty.
        Contribution: { Keys: ['$.apiKeyId', '$.principalId'], Filters: [] },
        AggregateOn: 'Count',
      }),
    });
  }
}
