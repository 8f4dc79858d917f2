import { toConnectError } from '@tend/platform';

type AnyMethod = (...args: never[]) => unknown;

/**
 * Turns domain errors (ValidationError, NotFoundError, ...) into their gRPC codes as they leave a
 * handler. Interceptors do this for unary calls (mapping twice is harmless), but not for a server
 * stream: its generator runs, and throws (a refused access check included), only once the
 * response is iterated, after the interceptor has returned. So streams are wrapped here as
 * generators; unary methods too, so this area answers the same codes on any router.
 */
export function withEdgeErrors<T extends Record<string, AnyMethod>>(handlers: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(handlers)) {
    if (Object.prototype.toString.call(method) === '[object AsyncGeneratorFunction]') {
      wrapped[name] = async function* (this: unknown, ...args: never[]) {
        try {
          yield* method.apply(this, args) as AsyncGenerator;
        } catch (error) {
          throw toConnectError(error);
        }
      };
    } else {
      wrapped[name] = async function (this: unknown, ...args: never[]) {
        try {
          return await method.apply(this, args);
        } catch (error) {
          throw toConnectError(error);
        }
      };
    }
  }
  return wrapped as T;
}
