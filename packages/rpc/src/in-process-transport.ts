import { clone, type DescMethod } from '@bufbuild/protobuf';
import {
  createConnectRouter,
  createRouterTransport,
  type ConnectRouter,
  type Interceptor,
  type Transport,
  type UnaryRequest,
  type UnaryResponse,
} from '@connectrpc/connect';
import { interceptedUnary } from './intercepted-unary.js';
import { UnaryRegistry } from './unary-registry.js';

export interface InProcessTransportOptions {
  /** Registers the service implementations, as for a server. */
  routes: (router: ConnectRouter) => void;
  /** Run around the implementation, as a server's are (metrics, tracing, error mapping). */
  serverInterceptors?: Interceptor[];
  /** Run around the call on the client side, as a network transport's are. */
  clientInterceptors?: Interceptor[];
}

/**
 * Calls a service hosted in the same process. A unary call skips HTTP, Connect's stream
 * machinery and protobuf's bytes: each message is deep-copied by its schema (`clone`) on its way
 * in and out, so the caller and the service share no objects (a cached response cannot be changed
 * by a caller), at about half the cost of an encode and a decode. Both sides still hold messages
 * of the contract's types, checked by the same interceptors. Streaming calls go through Connect's
 * router transport, which encodes.
 */
export function createInProcessTransport(options: InProcessTransportOptions): Transport {
  const serverInterceptors = options.serverInterceptors ?? [];
  const clientInterceptors = options.clientInterceptors ?? [];
  const registry = new UnaryRegistry(serverInterceptors);
  options.routes(registry.recording(createConnectRouter()));
  const streams = createRouterTransport(options.routes, {
    router: { interceptors: serverInterceptors },
    transport: { interceptors: clientInterceptors },
  });

  /** The service side of one unary call: the registered implementation behind its interceptors. */
  const callService = async (request: UnaryRequest, timeoutMs: number | undefined): Promise<UnaryResponse> => {
    const { method } = request;
    const { message, context } = await registry.invoke(
      registry.find(request.url)!,
      clone(method.input, request.message),
      {
        protocolName: 'in-process',
        url: request.url,
        requestHeader: request.header,
        timeoutMs,
        requestSignal: request.signal,
        contextValues: request.contextValues,
      },
    );
    return {
      stream: false,
      service: method.parent,
      method,
      header: context.responseHeader,
      trailer: context.responseTrailer,
      message: clone(method.output, message),
    };
  };
  const pathOf = (method: DescMethod) => `/${method.parent.typeName}/${method.name}`;
  const unary = interceptedUnary(
    clientInterceptors,
    { url: pathOf, header: (_timeoutMs, header: ConstructorParameters<typeof Headers>[0]) => new Headers(header) },
    callService,
  );

  return {
    unary: (method, ...rest) =>
      registry.find(pathOf(method)) ? unary(method, ...rest) : streams.unary(method, ...rest),
    stream: (...args) => streams.stream(...args),
  };
}
