/**
 * Connection settings of the real servers that `scripts/infra.sh up` starts for integration
 * suites. `infra.sh env` prints them as TEST_* variables.
 */
export interface RealInfra {
  databaseUrl?: string;
  replicaUrls: string[];
  redisUrl?: string;
  kafkaBrokers?: string[];
  nginxUrl?: string;
}

/** What the environment says about the real servers. */
export function realInfra(env: NodeJS.ProcessEnv = process.env): RealInfra {
  const list = (value: string | undefined) =>
    (value ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const brokers = list(env.TEST_KAFKA_BROKERS);
  return {
    databaseUrl: env.TEST_DATABASE_URL || undefined,
    replicaUrls: list(env.TEST_DATABASE_REPLICA_URLS),
    redisUrl: env.TEST_REDIS_URL || undefined,
    kafkaBrokers: brokers.length > 0 ? brokers : undefined,
    nginxUrl: env.TEST_NGINX_URL || undefined,
  };
}

/**
 * The infra Redis for a suite's Redis variant. Missing, it warns loudly (outside CI) or fails
 * (in CI), so a variant never vanishes from the run without a word.
 */
export function requiredRedisUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = realInfra(env).redisUrl;
  return requireInfra('Redis (TEST_REDIS_URL)', url, env) ? url : undefined;
}

/**
 * Whether a suite that needs `what` can run. Outside CI a missing server skips the suite with a
 * loud message; in CI (`CI=true`) it is a failure, never a silent skip.
 */
export function requireInfra(what: string, present: unknown, env: NodeJS.ProcessEnv = process.env): boolean {
  if (present) return true;
  const message = `${what} is not running: start it with \`bash scripts/infra.sh up\` (npm test does this).`;
  if (env.CI === 'true') throw new Error(`[integration] ${message} In CI this is a failure.`);
  console.warn(`\n[integration] SKIPPING suite: ${message}\n`);
  return false;
}
