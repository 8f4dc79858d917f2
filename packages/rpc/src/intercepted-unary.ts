import { create, type DescMethodUnary } from '@bufbuild/protobuf';
import {
  createContextValues,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
  type Transport,
  type UnaryRequest,
  type UnaryResponse,
} from '@connectrpc/connect';

/** Carries one unary request to the service and brings its response back. */
export type UnarySend = (request: UnaryRequest, timeoutMs: number | undefined) => Promise<UnaryResponse>;

const neverAborted = new AbortController().signal;

/**
 * A transport's `unary` that does what Connect's own transports do around a call — the request
 * object, the caller's interceptors around `send` — without Connect's stream pipeline.
 * `url` names the call to interceptors; `header` makes the request headers from the caller's.
 */
export function interceptedUnary(
  interceptors: readonly Interceptor[],
  request: {
    url(method: DescMethodUnary): string;
    header(timeoutMs: number | undefined, header: Parameters<Transport['unary']>[3]): Headers;
  },
  send: UnarySend,
): Transport['unary'] {
  return async (method, signal, timeoutMs, header, input, contextValues) => {
    const sendOne = (built: UnaryRequest | StreamRequest): Promise<UnaryResponse | StreamResponse> => {
      if (built.stream) throw new Error('a streaming request reached the unary path');
      return send(built, timeoutMs);
    };
    const next = interceptors.reduceRight((inner, interceptor) => interceptor(inner), sendOne);
    const response = await next({
      stream: false,
      service: method.parent,
      method,
      requestMethod: 'POST',
      url: request.url(method),
      signal: signal ?? neverAborted,
      header: request.header(timeoutMs, header),
      contextValues: contextValues ?? createContextValues(),
      message: create(method.input, input),
    });
    return response as UnaryResponse<never, never>;
  };
}
