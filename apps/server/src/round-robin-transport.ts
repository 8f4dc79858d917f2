import type { Transport } from '@connectrpc/connect';

/**
 * Spreads calls over several transports, one after another. Client-side balancing for service
 * to service calls; the gateway's balancer with health checks and breakers is richer.
 */
export function roundRobinTransport(transports: readonly Transport[]): Transport {
  if (transports.length === 0) throw new Error('roundRobinTransport needs at least one transport');
  if (transports.length === 1) return transports[0]!;
  let next = 0;
  const pick = (): Transport => transports[next++ % transports.length]!;
  return {
    unary: (...args) => pick().unary(...args),
    stream: (...args) => pick().stream(...args),
  };
}
