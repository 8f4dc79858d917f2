import {
  constants as h2,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  Code,
  ConnectError,
  type Interceptor,
  type Transport,
  type UnaryRequest,
  type UnaryResponse,
} from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
// Private API of Connect-ES (pinned to an exact version in package.json): the request headers,
// the HTTP-status mapping and the status trailers as Connect's own gRPC client reads them, so
// both clients see the same call alike.
import { codeFromHttpStatus, findTrailerError, requestHeader } from '@connectrpc/connect/protocol-grpc';
import { envelope, envelopeHeaderBytes, singleMessage, webHeaders } from './grpc-envelope.js';
import { defaultMaxMessageBytes } from './grpc-unary-handler.js';
import { interceptedUnary } from './intercepted-unary.js';

export interface GrpcClientTransportOptions {
  /** `http://host:port` of the one instance this transport talks to. */
  baseUrl: string;
  /** Run around every call, as Connect's transports run theirs. */
  interceptors?: Interceptor[];
  /** The largest response message accepted. @default 4 MiB, gRPC's default */
  maxMessageBytes?: number;
}

/**
 * gRPC to one instance over HTTP/2, with plain unary calls (protobuf, uncompressed) sent and read
 * straight on the HTTP/2 stream: one message out, one message and the status trailers back. The
 * client half of `grpcUnaryHandler`: Connect-ES's general client pipeline (async iterables, a
 * linked abort controller and a sentinel error per call) costs several times the work of a small
 * call. Streams go through Connect-ES's gRPC transport on the same HTTP/2 connection, whose
 * session manager (connect, reconnect, keep-alive) both share. Interceptors, deadlines
 * (`grpc-timeout` and a local timer), cancellation and error codes behave as Connect's.
 */
export function createGrpcClientTransport(options: GrpcClientTransportOptions): Transport {
  const interceptors = options.interceptors ?? [];
  const maxMessageBytes = options.maxMessageBytes ?? defaultMaxMessageBytes;
  const sessions = new Http2SessionManager(options.baseUrl);
  const streams = createGrpcTransport({ baseUrl: options.baseUrl, interceptors, sessionManager: sessions });
  const baseUrl = options.baseUrl.replace(/\/$/, '');

  return {
    unary: interceptedUnary(
      interceptors,
      {
        url: (method) => `${baseUrl}/${method.parent.typeName}/${method.name}`,
        // Content type, user agent, `te: trailers` and `grpc-timeout`, as Connect's gRPC client sends them.
        header: (timeoutMs, header) => requestHeader(true, timeoutMs, header),
      },
      (request, timeoutMs) => sendUnary(sessions, request, timeoutMs, maxMessageBytes),
    ),
    stream: (...args) => streams.stream(...args),
  };
}

/** One unary call on its own HTTP/2 stream, settled once: by the answer, an error, the deadline or the caller. */
function sendUnary(
  sessions: Http2SessionManager,
  request: UnaryRequest,
  timeoutMs: number | undefined,
  maxMessageBytes: number,
): Promise<UnaryResponse> {
  const { method, signal } = request;
  return new Promise((resolve, reject) => {
    let stream: ClientHttp2Stream | undefined;
    let settled = false;
    const settle = () => {
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const fail = (error: ConnectError) => {
      if (settled) return;
      settle();
      // gRPC over HTTP/2: a call given up by the client is reset with CANCEL.
      if (stream && !stream.closed) stream.close(h2.NGHTTP2_CANCEL);
      reject(error);
    };
    const onAbort = () => fail(ConnectError.from(signal.reason, Code.Canceled));
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => fail(new ConnectError('the operation timed out', Code.DeadlineExceeded)), timeoutMs);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });

    const frame = envelope(toBinary(method.input, request.message));
    const headers: OutgoingHttpHeaders = {};
    request.header.forEach((value, key) => (headers[key] = value));

    sessions.request('POST', `/${method.parent.typeName}/${method.name}`, headers, {}).then(
      (opened) => {
        stream = opened;
        if (settled) return void opened.close(h2.NGHTTP2_CANCEL);
        let responseHeaders: IncomingHttpHeaders | undefined;
        let trailers: IncomingHttpHeaders | undefined;
        const chunks: Buffer[] = [];
        let received = 0;
        opened.on('response', (h) => (responseHeaders = h));
        opened.on('trailers', (t: IncomingHttpHeaders) => (trailers = t));
        opened.on('data', (chunk: Buffer) => {
          sessions.notifyResponseByteRead(opened);
          received += chunk.length;
          if (received > maxMessageBytes + envelopeHeaderBytes) {
            fail(new ConnectError(`message larger than ${maxMessageBytes} bytes`, Code.ResourceExhausted));
          } else chunks.push(chunk);
        });
        opened.on('error', (error: Error) => fail(fromNodeError(error)));
        opened.on('end', () => {
          if (settled) return;
          try {
            const response = readResponse(request, responseHeaders, trailers, chunks);
            settle();
            resolve(response);
          } catch (error) {
            fail(ConnectError.from(error, Code.Internal));
          }
        });
        opened.on('close', () => {
          if (settled) return; // the usual case: closed after the answer was read
          fail(
            fromResetCode(opened.rstCode) ?? new ConnectError('the stream closed before the answer', Code.Unavailable),
          );
        });
        opened.end(frame);
      },
      (error: unknown) => fail(fromNodeError(error)),
    );
  });
}

/** The call's outcome from the response headers, the status trailers and the body. */
function readResponse(
  request: UnaryRequest,
  responseHeaders: IncomingHttpHeaders | undefined,
  trailers: IncomingHttpHeaders | undefined,
  chunks: Buffer[],
): UnaryResponse {
  if (!responseHeaders) throw new ConnectError('protocol error: no response headers', Code.Internal);
  const header = webHeaders(responseHeaders);
  const status = Number(responseHeaders[':status']);
  // A call refused before the service ran may carry its status in the headers ("trailers-only").
  const trailer = trailers ? webHeaders(trailers) : header;
  const failure = findTrailerError(trailer);
  if (failure) {
    header.forEach((value, key) => failure.metadata.set(key, value));
    throw failure;
  }
  if (status !== 200) throw new ConnectError(`HTTP ${status}`, codeFromHttpStatus(status), header);
  if (!/^application\/grpc(\+proto)?$/.test(header.get('content-type') ?? '')) {
    throw new ConnectError(`unsupported content type ${header.get('content-type')}`, Code.Internal);
  }
  if (!trailer.has('grpc-status')) throw new ConnectError('protocol error: missing status', Code.Internal);
  const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  return {
    stream: false,
    service: request.service,
    method: request.method,
    header,
    trailer: trailers ? trailer : new Headers(),
    message: fromBinary(request.method.output, singleMessage(body, body.length, Infinity)),
  };
}

/**
 * A connection or stream failure as Connect's Node client reports it: refused, unresolvable or
 * timed-out connections are Unavailable (with the Node error as the cause, which the balancer
 * reads), a connection reset Aborted, anything else Internal.
 */
function fromNodeError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  const codes = new Set<string>();
  for (let cause: unknown = error; cause instanceof Error && codes.size < 8; cause = cause.cause) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') codes.add(code);
    if (cause.cause === cause) break;
  }
  const code = ['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN'].some((c) => codes.has(c))
    ? Code.Unavailable
    : ['ERR_STREAM_DESTROYED', 'ERR_HTTP2_INVALID_STREAM', 'ECONNRESET'].some((c) => codes.has(c))
      ? Code.Aborted
      : Code.Internal;
  const failure = ConnectError.from(error, code);
  if (failure !== error) failure.cause = error;
  return failure;
}

/** The error an HTTP/2 reset stands for (gRPC's PROTOCOL-HTTP2 mapping); undefined for NO_ERROR. */
function fromResetCode(rstCode: number): ConnectError | undefined {
  if (rstCode === h2.NGHTTP2_NO_ERROR || rstCode === undefined) return undefined;
  const code =
    rstCode === h2.NGHTTP2_REFUSED_STREAM
      ? Code.Unavailable
      : rstCode === h2.NGHTTP2_CANCEL
        ? Code.Canceled
        : rstCode === h2.NGHTTP2_ENHANCE_YOUR_CALM
          ? Code.ResourceExhausted
          : rstCode === h2.NGHTTP2_INADEQUATE_SECURITY || rstCode === h2.NGHTTP2_HTTP_1_1_REQUIRED
            ? Code.PermissionDenied
            : Code.Internal;
  return new ConnectError(`http/2 stream closed with error code 0x${rstCode.toString(16)}`, code);
}
