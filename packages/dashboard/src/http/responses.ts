import { randomBytes } from 'node:crypto';
import { HttpError } from '../errors.js';

/** Headers every answer carries: nothing is sniffed, framed, cached or leaks its URL. */
const COMMON_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

/** A fresh CSP nonce for one page answer. */
export function newNonce(): string {
  return randomBytes(18).toString('base64');
}

/**
 * The page's policy: only the inline script and style carrying this answer's
 * nonce run; no other origin is reached; the page cannot be framed.
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function jsonResponse(body: unknown, status = 200, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...COMMON_HEADERS, 'content-type': 'application/json; charset=utf-8', ...extra },
  });
}

export function errorResponse(
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
): Response {
  return jsonResponse({ error: code, message }, status, extra);
}

export function htmlResponse(
  html: string,
  status: number,
  nonce: string,
  extra: Record<string, string> = {},
): Response {
  return new Response(html, {
    status,
    headers: {
      ...COMMON_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': contentSecurityPolicy(nonce),
      ...extra,
    },
  });
}

export function streamResponse(body: ReadableStream<Uint8Array>): Response {
  return new Response(body, {
    status: 200,
    headers: {
      ...COMMON_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store, no-transform',
      // Proxies such as nginx would otherwise hold events back in their buffers.
      'x-accel-buffering': 'no',
    },
  });
}

/** An `HttpError` as its JSON answer. */
export function httpErrorResponse(error: HttpError): Response {
  return errorResponse(error.status, error.code, error.message);
}

export const badRequest = (message: string) => new HttpError(400, 'ERR_BAD_REQUEST', message);
export const notFound = (code: string, message: string) => new HttpError(404, code, message);
export const conflict = (code: string, message: string) => new HttpError(409, code, message);
export const forbidden = (code: string, message: string) => new HttpError(403, code, message);
