import type { Transport } from '@connectrpc/connect';

/**
 * `transport` with a deadline on every call that does not bring its own: a caller that forgot
 * one must not wait on a stuck service forever. The deadline travels to the service
 * (`grpc-timeout`), which stops working on the call when it passes.
 */
export function withDefaultDeadline(transport: Transport, timeoutMs: number): Transport {
  return {
    unary: (method, signal, callTimeoutMs, header, input, contextValues) =>
      transport.unary(method, signal, callTimeoutMs ?? timeoutMs, header, input, contextValues),
    stream: (method, signal, callTimeoutMs, header, input, contextValues) =>
      transport.stream(method, signal, callTimeoutMs ?? timeoutMs, header, input, contextValues),
  };
}
