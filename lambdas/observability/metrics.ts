/**
 * Business metrics in CloudWatch EMF, one Metrics instance per container (Powertools). Dimensioned
 * by task type at most: never by owner or task id (unbounded cardinality, and a caller's identity).
 * Handlers publish with `publishStoredMetrics()` (or the Powertools middy middleware) at the end.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '#observability/metric-names';

// Fixed, not from the environment: the construct's alarms read exactly these (metric-names.ts).
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });

export { MetricUnit };
