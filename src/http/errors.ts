import type { FastifyReply } from 'fastify';

/** Every error answer has this shape: a stable code and a human detail. */
export interface ApiErrorBody {
  error: string;
  detail: string;
  issues?: { path: string; message: string }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly issues?: { path: string; message: string }[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
  }
}

export function sendError(reply: FastifyReply, status: number, code: string, detail: string, issues?: ApiErrorBody['issues']): FastifyReply {
  const body: ApiErrorBody = { error: code, detail };
  if (issues) body.issues = issues;
  return reply.code(status).type('application/json').send(body);
}
