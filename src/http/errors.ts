import { sourceRejectionCode } from '@herald/sdk';
import type { FastifyReply } from 'fastify';
import { type ApiSlug, apiErrorCode, type ErrorCode } from '../errors/catalogue.js';

export type { ApiSlug };

/**
 * Every error answer has this shape: the `error` slug clients have always
 * matched on, the catalogue's stable `code` (docs/errors.md), a human detail.
 */
export interface ApiErrorBody {
  error: string;
  code: ErrorCode;
  detail: string;
  issues?: { path: string; message: string }[];
}

export class ApiError extends Error {
  /** The body's `error` slug (named `code` before the catalogue existed; kept so callers and metric labels stay as they were). */
  readonly code: string;
  /** The catalogue code the answer carries. */
  readonly heraldCode: ErrorCode;
  readonly issues?: { path: string; message: string }[];
  readonly headers?: Record<string, string>;

  /**
   * A source's refusal (SourceRejection): its slug is the source's, and the
   * same slug can name a source's or the API's refusal (`invalid_event`), so
   * the code comes from the SOURCE part of the catalogue.
   */
  constructor(status: number, slug: { source: string }, detail: string);
  /**
   * An API refusal: `slug` must be one of the catalogue's API slugs. Declared
   * last, so a mistyped slug's error names that union (TypeScript reports the
   * last overload).
   */
  constructor(status: number, slug: ApiSlug, detail: string, issues?: { path: string; message: string }[], headers?: Record<string, string>);
  constructor(
    readonly status: number,
    slug: ApiSlug | { source: string },
    detail: string,
    issues?: { path: string; message: string }[],
    headers?: Record<string, string>,
  ) {
    super(detail);
    this.code = typeof slug === 'string' ? slug : slug.source;
    this.heraldCode = typeof slug === 'string' ? apiErrorCode(slug) : sourceRejectionCode(slug.source);
    this.issues = issues;
    this.headers = headers;
  }

  /** ApiError for a source's refusal, e.g. a SourceRejection's `status`, `code` and `message`. */
  static fromSource(status: number, slug: string, detail: string): ApiError {
    return new ApiError(status, { source: slug }, detail);
  }
}

/** Answers an ApiError with its slug and catalogue code. */
export function sendApiError(reply: FastifyReply, err: ApiError): FastifyReply {
  return send(reply, err.status, { error: err.code, code: err.heraldCode, detail: err.message }, err.issues);
}

export function sendError(reply: FastifyReply, status: number, slug: ApiSlug, detail: string, issues?: ApiErrorBody['issues']): FastifyReply {
  return send(reply, status, { error: slug, code: apiErrorCode(slug), detail }, issues);
}

function send(reply: FastifyReply, status: number, body: ApiErrorBody, issues: ApiErrorBody['issues']): FastifyReply {
  if (issues) body.issues = issues;
  return reply.code(status).type('application/json').send(body);
}
