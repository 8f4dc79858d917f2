import type { IncomingHttpHeaders } from 'node:http2';
import { Code, ConnectError } from '@connectrpc/connect';

// gRPC's length-prefixed message on HTTP/2 as both lean unary paths (server and client) use it:
// uncompressed, one message per direction.

export const envelopeHeaderBytes = 5;

/** `bytes` as one uncompressed gRPC message: a zero flag byte and the length before them. */
export function envelope(bytes: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(envelopeHeaderBytes + bytes.length);
  frame[0] = 0;
  frame.writeUInt32BE(bytes.length, 1);
  frame.set(bytes, envelopeHeaderBytes);
  return frame;
}

/** The one message of a unary request or answer, from its gRPC envelope (`received` bytes in all). */
export function singleMessage(body: Buffer, received: number, maxMessageBytes: number): Buffer {
  if (received > maxMessageBytes + envelopeHeaderBytes) {
    throw new ConnectError(`message larger than ${maxMessageBytes} bytes`, Code.ResourceExhausted);
  }
  if (body.length < envelopeHeaderBytes) throw new ConnectError('protocol error: missing message', Code.Unimplemented);
  if (body[0] !== 0) throw new ConnectError('protocol error: compressed message without encoding', Code.Internal);
  const length = body.readUInt32BE(1);
  if (body.length !== envelopeHeaderBytes + length) {
    throw new ConnectError('protocol error: a unary request carries exactly one message', Code.Unimplemented);
  }
  return body.subarray(envelopeHeaderBytes);
}

/** Node's headers as fetch Headers, without HTTP/2 pseudo-headers. */
export function webHeaders(headers: IncomingHttpHeaders): Headers {
  const result = new Headers();
  for (const [key, value] of Object.entries(headers)) {
    if (key.startsWith(':') || value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) result.append(key, item);
    else result.set(key, value);
  }
  return result;
}
