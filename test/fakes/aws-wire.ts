import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";

/**
 * How AWS answers on the wire, shared by the fake STS, IAM and EKS.
 * Query protocol (STS, IAM): XML bodies and the `<ErrorResponse>` envelope of
 * https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html and
 * https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html.
 * REST JSON (EKS): `{ message }` with the error code in `x-amzn-ErrorType`
 * (https://docs.aws.amazon.com/eks/latest/APIReference/CommonErrors.html).
 */
export type Failure = { status: number; code: string; message: string; retryAfter?: string };

export const STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/";
export const IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/";

export function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function xml(res: ServerResponse, status: number, body: string): ServerResponse {
  return res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": randomUUID() }).end(body);
}

export function queryError(res: ServerResponse, ns: string, f: Failure): ServerResponse {
  if (f.retryAfter) res.setHeader("retry-after", f.retryAfter);
  return xml(
    res,
    f.status,
    `<ErrorResponse xmlns="${ns}">
  <Error>
    <Type>${f.status >= 500 ? "Receiver" : "Sender"}</Type>
    <Code>${f.code}</Code>
    <Message>${esc(f.message)}</Message>
  </Error>
  <RequestId>${randomUUID()}</RequestId>
</ErrorResponse>`,
  );
}

export function json(res: ServerResponse, status: number, body: unknown): ServerResponse {
  return res
    .writeHead(status, { "content-type": "application/json", "x-amzn-requestid": randomUUID() })
    .end(JSON.stringify(body));
}

export function restError(res: ServerResponse, f: Failure): ServerResponse {
  if (f.retryAfter) res.setHeader("retry-after", f.retryAfter);
  res.setHeader("x-amzn-errortype", `${f.code}:http://internal.amazon.com/coral/com.amazon.eks/`);
  return json(res, f.status, { message: f.message });
}

/** The shape of every Coral input-validation refusal, e.g. "1 validation error detected: Value 'x' at 'roleSessionName' …". */
export function constraintMessage(value: string, field: string, constraint: string): string {
  return `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${constraint}`;
}
