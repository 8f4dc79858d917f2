import type { DescMessage, DescMethodUnary, DescService, MessageShape } from '@bufbuild/protobuf';
import {
  Code,
  ConnectError,
  createContextValues,
  createHandlerContext,
  createServiceImplSpec,
  type ConnectRouter,
  type ContextValues,
  type HandlerContext,
  type Interceptor,
  type MethodImplSpec,
} from '@connectrpc/connect';
// Private API of Connect-ES (pinned to an exact version in package.json): it runs an
// implementation behind the interceptors exactly as Connect's own handlers do.
import { invokeUnaryImplementation } from '@connectrpc/connect/protocol';

/** A unary method's implementation as a router registered it. */
export type UnarySpec = MethodImplSpec & { kind: 'unary'; method: DescMethodUnary };

/** What a unary call needs besides its message. */
export interface UnaryCallInit {
  protocolName: string;
  url: string;
  requestHeader: Headers | undefined;
  timeoutMs: number | undefined;
  requestSignal: AbortSignal | undefined;
  responseHeader?: Headers;
  responseTrailer?: Headers;
  contextValues?: ContextValues;
}

/** A finished call's outcome: the response message, and the headers the handler set. */
export interface UnaryOutcome<O extends DescMessage = DescMessage> {
  message: MessageShape<O>;
  context: HandlerContext;
}

// Aborting a finished call's signal with a shared reason: with none, AbortController builds a
// DOMException (and its stack) per call, a measurable share of a small call's cost.
const callFinished = new ConnectError('call finished', Code.Canceled);

/**
 * The unary methods a process serves, captured from the same `routes` function Connect's
 * router gets, so they can be run without Connect's protocol machinery: by the gRPC server's
 * fast path for plain unary calls, and by the in-process transport. Streaming calls and the
 * other protocols still go through Connect.
 */
export class UnaryRegistry {
  readonly #byPath = new Map<string, UnarySpec>();

  constructor(private readonly interceptors: readonly Interceptor[]) {}

  /** Wraps `router` so every service registered on it is also recorded here. */
  recording(router: ConnectRouter): ConnectRouter {
    const recorder: ConnectRouter = {
      get handlers() {
        return router.handlers;
      },
      service: (service, implementation, options) => {
        this.#add(service, implementation);
        router.service(service, implementation, options);
        return recorder;
      },
      rpc: (method, implementation, options) => {
        router.rpc(method, implementation, options);
        return recorder;
      },
    };
    return recorder;
  }

  /** The unary method served at `path` (`/package.Service/Method`), if any. */
  find(path: string): UnarySpec | undefined {
    return this.#byPath.get(path);
  }

  /** Runs a call through the interceptors and the implementation. */
  async invoke<I extends DescMessage, O extends DescMessage>(
    spec: UnarySpec,
    input: MessageShape<I>,
    init: UnaryCallInit,
  ): Promise<UnaryOutcome<O>> {
    const context = createHandlerContext({
      ...spec,
      service: spec.method.parent,
      requestMethod: 'POST',
      protocolName: init.protocolName,
      url: init.url,
      timeoutMs: init.timeoutMs,
      requestSignal: init.requestSignal,
      requestHeader: init.requestHeader,
      responseHeader: init.responseHeader,
      responseTrailer: init.responseTrailer,
      contextValues: init.contextValues ?? createContextValues(),
    });
    try {
      const running = invokeUnaryImplementation(spec, context, input, [...this.interceptors]);
      const message = (await (init.timeoutMs === undefined
        ? running
        : untilAborted(running, context.signal))) as MessageShape<O>;
      return { message, context };
    } finally {
      context.abort(callFinished);
    }
  }

  #add(service: DescService, implementation: object): void {
    const spec = createServiceImplSpec(service, implementation);
    for (const method of service.methods) {
      const methodSpec = spec.methods[method.localName];
      if (methodSpec?.kind === 'unary') this.#byPath.set(`/${service.typeName}/${method.name}`, methodSpec);
    }
  }
}

/** Settles with `work`, or rejects with the signal's reason once the deadline aborts it. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(toConnectReason(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(toConnectReason(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function toConnectReason(reason: unknown): ConnectError {
  return ConnectError.from(reason, Code.DeadlineExceeded);
}
