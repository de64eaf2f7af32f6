/**
 * Business metrics in CloudWatch EMF, one Metrics instance per container (Powertools). Dimensioned
 * by task type at most: never by owner or task id (unbounded cardinality, and a caller's identity).
 * Handlers publish with `publishStoredMetrics()` (or the Powertools middy middleware) at the end.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Longrun',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'longrun',
});

export { MetricUnit };
