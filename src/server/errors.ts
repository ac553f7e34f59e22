/** HTTP errors and request validation: every bad input becomes 400 `{ error }` naming the field. */
import type { z } from 'zod';

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** `query.plate: expected ...` from the first zod issue (the part of the request, the field path, the problem). */
export function describeIssues(part: string, error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const field = issue.path.length > 0 ? `${part}.${issue.path.join('.')}` : part;
      if (issue.code === 'unrecognized_keys') return `${part}.${issue.keys.join(`, ${part}.`)}: unknown field(s)`;
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}

/** Parses one part of a request (params, query, body, headers) or throws a 400 naming the field. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, part: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(400, describeIssues(part, result.error));
  return result.data;
}
