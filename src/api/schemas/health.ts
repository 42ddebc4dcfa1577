/**
 * JSON schemas of GET /health and GET /ready.
 */

export const healthSchema = {
  tags: ['health'],
  summary: 'Liveness: 200 while the process serves requests',
  response: {
    200: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', enum: ['ok'] } },
    },
  },
} as const

const checkSchema = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ok', 'failed', 'timed_out'] },
  },
} as const

const readySchema = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not_ready'] },
    checks: {
      type: 'object',
      required: ['log', 'store'],
      properties: { log: checkSchema, store: checkSchema },
    },
  },
} as const

export const readinessSchema = {
  tags: ['health'],
  summary: 'Readiness: 200 when the command log and the store both answer a ping in time',
  response: {
    200: readySchema,
    503: readySchema,
  },
} as const
