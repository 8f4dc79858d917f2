/** One field the API refused, as problem+json's `errors` names it. */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * An answer of the API that was not a success, from its problem+json body (RFC 9457). Screens show
 * `fieldErrors` beside the fields they name and `detail` above the form, never the raw body.
 */
export class ApiProblem extends Error {
  override name = 'ApiProblem';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly fieldErrors: Readonly<Record<string, string>>,
  ) {
    super(detail ?? title);
  }
}

/** The API's problem body (or any other JSON an error carried) as an ApiProblem. */
export function problemOf(status: number, body: unknown): ApiProblem {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const fieldErrors: Record<string, string> = {};
  if (Array.isArray(record.errors)) {
    for (const entry of record.errors as unknown[]) {
      if (typeof entry !== 'object' || entry === null) continue;
      const { field, message } = entry as Record<string, unknown>;
      if (typeof field === 'string' && typeof message === 'string' && !(field in fieldErrors))
        fieldErrors[field] = message;
    }
  }
  const title = typeof record.title === 'string' ? record.title : `HTTP ${status}`;
  const detail = typeof record.detail === 'string' ? record.detail : undefined;
  return new ApiProblem(status, title, detail, fieldErrors);
}

/** What openapi-fetch resolves with. */
interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful call, or the call's ApiProblem thrown. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw problemOf(response.status, error);
  return data as T;
}
