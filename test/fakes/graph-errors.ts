/** Graph's OData error, as the fake Graph throws it and graph-server.ts sends it: {error:{code,message}}. */
export class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Reply {
  status: number;
  body?: unknown;
}

/** https://learn.microsoft.com/graph/errors — 404 Request_ResourceNotFound names the missing id. */
export const notFound = (id: string) =>
  new GraphHttpError(
    404,
    "Request_ResourceNotFound",
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );
