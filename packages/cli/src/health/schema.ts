import { TASK_STATUSES } from '@errand/core';

/**
 * JSON Schema (draft 2020-12) of `errand health --json`, version 1. Adding
 * a field keeps version 1; renaming, removing or retyping one makes
 * version 2. The tests validate real output against it.
 */
const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: [type, 'null'], ...extra });
const isoTime = { type: 'string', format: 'date-time' };
const nullableTime = { type: ['string', 'null'], format: 'date-time' };
const count = { type: 'integer', minimum: 0 };
// Every status core knows: a status core adds is a field added to `counts`, which keeps version 1.
const STATUSES = [...TASK_STATUSES];

export const HEALTH_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'errand health --json',
  type: 'object',
  additionalProperties: false,
  required: [
    'schemaVersion',
    'status',
    'summary',
    'probe',
    'checkedAt',
    'store',
    'checks',
    'counts',
    'lastHour',
    'oldestPendingAt',
    'instances',
    'jobs',
  ],
  properties: {
    schemaVersion: { const: 1 },
    status: { enum: ['healthy', 'degraded', 'unhealthy'] },
    summary: { type: 'string', pattern: '^(healthy|degraded|unhealthy): ' },
    probe: { enum: ['liveness', 'readiness'] },
    checkedAt: isoTime,
    store: {
      type: 'object',
      additionalProperties: false,
      required: ['url', 'backend', 'latencyMs'],
      properties: {
        url: { type: 'string', description: 'The store URL with its password masked' },
        backend: nullable('string'),
        latencyMs: nullable('integer', { minimum: 0 }),
      },
    },
    checks: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'status', 'message'],
        properties: {
          name: { enum: ['store', 'instances', 'scheduler', 'jobs', 'pending-age', 'failure-rate'] },
          status: { enum: ['pass', 'warn', 'fail'] },
          message: { type: 'string' },
        },
      },
    },
    counts: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: STATUSES,
      properties: Object.fromEntries(STATUSES.map((status) => [status, count])),
    },
    lastHour: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['success', 'failed', 'finished', 'failureRate'],
      properties: {
        success: count,
        failed: count,
        finished: count,
        failureRate: nullable('number', { minimum: 0, maximum: 1 }),
      },
    },
    oldestPendingAt: nullableTime,
    instances: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'host', 'pid', 'state', 'scheduler', 'startedAt', 'expiresAt'],
        properties: {
          id: { type: 'string' },
          host: nullable('string'),
          pid: nullable('integer'),
          state: { enum: ['live', 'quiet', 'stopped'] },
          scheduler: { enum: ['firing', 'passive', null] },
          startedAt: isoTime,
          expiresAt: isoTime,
        },
      },
    },
    jobs: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: [
          'id',
          'taskName',
          'schedule',
          'nextRunAt',
          'nextRunIn',
          'lastRunAt',
          'lastOutcome',
          'paused',
          'orphaned',
          'overdue',
          'activeRuns',
        ],
        properties: {
          id: { type: 'string' },
          taskName: { type: 'string' },
          schedule: { type: 'string' },
          nextRunAt: nullableTime,
          nextRunIn: { type: 'string' },
          lastRunAt: nullableTime,
          lastOutcome: { enum: ['success', 'failed', 'interrupted', 'cancelled', 'missed', 'skipped', null] },
          paused: { type: 'boolean' },
          orphaned: { type: 'boolean' },
          overdue: { type: 'boolean' },
          activeRuns: count,
        },
      },
    },
  },
} as const;
