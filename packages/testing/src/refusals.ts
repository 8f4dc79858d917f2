import { Code, ConnectError } from '@connectrpc/connect';
import { fieldViolationsOf, type FieldViolation } from '@tend/core';

/**
 * The fields a call was refused for, as InvalidArgument names them; a call that succeeds, or
 * fails in any other way, fails the test with what happened instead.
 */
export async function invalidArgumentViolations(call: Promise<unknown>): Promise<FieldViolation[]> {
  try {
    await call;
  } catch (caught) {
    const error = ConnectError.from(caught);
    if (error.code === Code.InvalidArgument) return fieldViolationsOf(error);
    throw error;
  }
  throw new Error('expected the call to be refused as InvalidArgument, and it succeeded');
}
