import type { Http2ServerRequest, Http2ServerResponse, OutgoingHttpHeaders } from 'node:http2';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
// Private API of Connect-ES (pinned to an exact version in package.json): the same timeout
// parsing and error trailers Connect's own gRPC handler writes, so both paths answer alike.
import { parseTimeout, setTrailerStatus } from '@connectrpc/connect/protocol-grpc';
import { envelope, envelopeHeaderBytes, singleMessage, webHeaders } from './grpc-envelope.js';
import type { UnaryRegistry, UnarySpec } from './unary-registry.js';

/** gRPC's own default for the largest message a server accepts. */
export const defaultMaxMessageBytes = 4 * 1024 * 1024;

const protoContentTypes = new Set(['application/grpc', 'application/grpc+proto']);

/**
 * Serves plain unary gRPC calls (protobuf, uncompressed) straight from HTTP/2: read the one
 * message, run the implementation behind the same interceptors, write the message and the
 * status trailers. Connect-ES serves everything else (streams, gRPC-Web, the Connect protocol,
 * compressed calls); for a small call its general pipeline of async iterables costs about three
 * times the work of the call, which is what this path saves.
 *
 * @returns a handler that answers `true` when it took the request, `false` to pass it on.
 */
export function grpcUnaryHandler(
  registry: UnaryRegistry,
  options: { maxMessageBytes?: number } = {},
): (req: Http2ServerRequest, res: Http2ServerResponse) => boolean {
  const maxMessageBytes = options.maxMessageBytes ?? defaultMaxMessageBytes;
  return (req, res) => {
    if (req.method !== 'POST' || !protoContentTypes.has(req.headers['content-type'] ?? '')) return false;
    const encoding = req.headers['grpc-encoding'];
    if (encoding !== undefined && encoding !== 'identity') return false;
    const spec = registry.find(req.url);
    if (!spec) return false;

    const chunks: Buffer[] = [];
    let received = 0;
    const cancelled = new AbortController();
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received <= maxMessageBytes + envelopeHeaderBytes) chunks.push(chunk);
    });
    req.once('error', () => cancelled.abort());
    req.once('end', () => {
      res.once('close', () => {
        if (!res.writableFinished) cancelled.abort();
      });
      void answer(registry, spec, req, res, chunks, received, maxMessageBytes, cancelled.signal);
    });
    return true;
  };
}

async function answer(
  registry: UnaryRegistry,
  spec: UnarySpec,
  req: Http2ServerRequest,
  res: Http2ServerResponse,
  chunks: Buffer[],
  received: number,
  maxMessageBytes: number,
  requestSignal: AbortSignal,
): Promise<void> {
  const responseHeader: OutgoingHttpHeaders = { 'content-type': 'application/grpc+proto' };
  const trailer = new Headers({ 'grpc-status': '0' });
  let frame: Buffer | undefined;
  try {
    const timeout = parseTimeout(headerValue(req.headers['grpc-timeout']), Number.MAX_SAFE_INTEGER);
    if (timeout.error) throw timeout.error;
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    const input = fromBinary(spec.method.input, singleMessage(body, received, maxMessageBytes));
    const { message, context } = await registry.invoke(spec, input, {
      protocolName: 'grpc',
      url: `http://${req.headers[':authority'] ?? 'localhost'}${req.url}`,
      requestHeader: webHeaders(req.headers),
      timeoutMs: timeout.timeoutMs,
      requestSignal,
    });
    context.responseHeader.forEach((value, key) => (responseHeader[key] = value));
    context.responseTrailer.forEach((value, key) => trailer.set(key, value));
    frame = envelope(toBinary(spec.method.output, message));
  } catch (error) {
    const edge =
      error instanceof ConnectError
        ? error
        : new ConnectError('internal error', Code.Internal, undefined, undefined, error);
    setTrailerStatus(trailer, edge);
  }
  if (res.stream.destroyed || res.stream.closed) return;
  const trailers: OutgoingHttpHeaders = {};
  trailer.forEach((value, key) => (trailers[key] = value));
  res.writeHead(200, responseHeader);
  res.addTrailers(trailers);
  if (frame) res.end(frame);
  else res.end();
}

function headerValue(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}
