/** A client-facing error: the body is always `{ error: { code, message } }`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (what: string, id: string) => new HttpError(404, "NOT_FOUND", `no ${what} with id ${JSON.stringify(id)} (or it belongs to another API key)`);
