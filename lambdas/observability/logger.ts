/** One structured logger per container. It never logs request bodies, API keys or tokens. */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'longrun' });
