/**
 * Business metrics in CloudWatch EMF, one Metrics instance per container (Powertools). Dimensioned
 * by task type at most: never by owner or task id (unbounded cardinality, and a caller's identity).
 * Handlers publish with `publishStoredMetrics()` (or the Powertools middy middleware) at the end.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '#observability/metric-names';

// The namespace is fixed; the `service` dimension is the deployment's name, which the construct gives
// both to the functions (POWERTOOLS_SERVICE_NAME) and to its alarms, so two deployments in one account
// never count into each other's metrics.
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: process.env.POWERTOOLS_SERVICE_NAME || METRICS_SERVICE });

export { MetricUnit };
