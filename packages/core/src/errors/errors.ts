import { Code, ConnectError } from '@connectrpc/connect';

/** One problem with one input field, named as the caller spelled it. */
export interface FieldViolation {
  field: string;
  message: string;
}

/** Bad input. Becomes InvalidArgument / HTTP 400 and names every offending field. */
export class ValidationError extends Error {
  override name = 'ValidationError';
  constructor(
    readonly violations: FieldViolation[],
    opts?: ErrorOptions,
  ) {
    super(violations.map((v) => `${v.field}: ${v.message}`).join('; '), opts);
  }

  /** A validation error about a single field. */
  static field(field: string, message: string): ValidationError {
    return new ValidationError([{ field, message }]);
  }
}

/** The entity does not exist, or the caller may not know that it does. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
  constructor(
    readonly entity: string,
    readonly id: string,
    opts?: ErrorOptions,
  ) {
    super(`${entity} ${id} not found`, opts);
  }
}

/**
 * The entity existed and was removed for good (a replaced secret URL): still a NotFoundError to
 * code that only asks whether it is there, but HTTP answers 410 Gone, so a client polling the
 * old address learns to stop.
 */
export class GoneError extends NotFoundError {
  override name = 'GoneError';
}

/** The entity already exists (a unique key is taken). */
export class ConflictError extends Error {
  override name = 'ConflictError';
  constructor(
    readonly entity: string,
    readonly detail: string,
    opts?: ErrorOptions,
  ) {
    super(`${entity}: ${detail}`, opts);
  }
}

/** No valid credentials were presented. */
export class UnauthenticatedError extends Error {
  override name = 'UnauthenticatedError';
  constructor(message = 'authentication required', opts?: ErrorOptions) {
    super(message, opts);
  }
}

/** The caller is known but may not do this. */
export class ForbiddenError extends Error {
  override name = 'ForbiddenError';
  constructor(message = 'not allowed', opts?: ErrorOptions) {
    super(message, opts);
  }
}

/** A limit was hit; retry after the given time. */
export class RateLimitedError extends Error {
  override name = 'RateLimitedError';
  constructor(
    readonly retryAfterMs: number,
    opts?: ErrorOptions,
  ) {
    super(`rate limit exceeded, retry in ${Math.ceil(retryAfterMs / 1000)} s`, opts);
  }
}

/** A dependency (database, broker, third-party API) cannot be reached right now. */
export class UnavailableError extends Error {
  override name = 'UnavailableError';
  constructor(
    readonly dependency: string,
    message?: string,
    opts?: ErrorOptions,
  ) {
    super(message ?? `${dependency} is unavailable`, opts);
  }
}

/** The deadline passed before the work finished. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
    opts?: ErrorOptions,
  ) {
    super(`${operation} timed out after ${timeoutMs} ms`, opts);
  }
}

/** The configuration is wrong; the process must not start. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    readonly problem: string,
    opts?: ErrorOptions,
  ) {
    super(`${variable}: ${problem}`, opts);
  }
}

/** Marks a NotFound error as GoneError's: the record existed and was removed for good. */
const goneHeader = 'x-gone';

/** The HTTP status of an edge error: its code's, but 410 for a GoneError's NotFound. */
export function httpStatusOfError(error: ConnectError): number {
  if (error.code === Code.NotFound && error.metadata.get(goneHeader) === 'true') return 410;
  return httpStatusOf(error.code);
}

/**
 * HTTP status for each gRPC code, following the Connect protocol's table but for one code:
 * FailedPrecondition is a 409, not Connect's 400 (nor 412, which is about conditional request
 * headers). The API's 400 says which input field is wrong; a failed precondition is the
 * record's state refusing a well-formed request (no scheduled dose left to skip), the conflict
 * the 409 of every write describes.
 */
const httpStatusByCode: Record<Code, number> = {
  [Code.Canceled]: 499,
  [Code.Unknown]: 500,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 409,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Internal]: 500,
  [Code.Unavailable]: 503,
  [Code.DataLoss]: 500,
  [Code.Unauthenticated]: 401,
};

/** The HTTP status a gRPC code maps to at the edge. */
export function httpStatusOf(code: Code): number {
  return httpStatusByCode[code];
}

/**
 * Turns any caught value into the edge error. Domain errors keep their message and data
 * (field violations travel as the error's metadata `x-field-violations`, JSON); anything
 * unexpected becomes Internal with a generic message, so internals never leak.
 */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof ValidationError) {
    const err = new ConnectError(error.message, Code.InvalidArgument, undefined, undefined, error);
    // Header values must be ASCII: JSON's \u escapes carry any message (e.g. Chinese) through.
    err.metadata.set('x-field-violations', asciiJson(error.violations));
    return err;
  }
  if (error instanceof GoneError) {
    const err = new ConnectError(error.message, Code.NotFound, undefined, undefined, error);
    err.metadata.set(goneHeader, 'true');
    return err;
  }
  if (error instanceof NotFoundError)
    return new ConnectError(error.message, Code.NotFound, undefined, undefined, error);
  if (error instanceof ConflictError)
    return new ConnectError(error.message, Code.AlreadyExists, undefined, undefined, error);
  if (error instanceof UnauthenticatedError)
    return new ConnectError(error.message, Code.Unauthenticated, undefined, undefined, error);
  if (error instanceof ForbiddenError)
    return new ConnectError(error.message, Code.PermissionDenied, undefined, undefined, error);
  if (error instanceof RateLimitedError) {
    const err = new ConnectError(error.message, Code.ResourceExhausted, undefined, undefined, error);
    err.metadata.set('retry-after', String(Math.ceil(error.retryAfterMs / 1000)));
    return err;
  }
  if (error instanceof UnavailableError)
    return new ConnectError(error.message, Code.Unavailable, undefined, undefined, error);
  if (error instanceof TimeoutError)
    return new ConnectError(error.message, Code.DeadlineExceeded, undefined, undefined, error);
  return new ConnectError('internal error', Code.Internal, undefined, undefined, error);
}

function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Field violations carried by an InvalidArgument error, if any. */
export function fieldViolationsOf(error: ConnectError): FieldViolation[] {
  const raw = error.metadata.get('x-field-violations');
  if (!raw) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? (parsed as FieldViolation[]) : [];
  } catch {
    return [];
  }
}
