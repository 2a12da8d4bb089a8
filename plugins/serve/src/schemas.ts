/** JSON schemas of the API's requests and responses (Fastify validates requests with them; the OpenAPI document is built from them). */

const num = { type: ['number', 'null'] } as const;
const metrics = { type: 'object', additionalProperties: { type: 'number' } } as const;
export const errorSchema = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: { statusCode: { type: 'integer' }, error: { type: 'string' }, message: { type: 'string' } },
} as const;
export const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';
const date = { type: 'string', pattern: DATE_PATTERN } as const;
const signalRow = { type: 'object', required: ['instrument', 'score'], properties: { instrument: { type: 'string' }, score: num } } as const;
const onlineModel = {
  type: 'object',
  required: ['id', 'model', 'test', 'metrics'],
  properties: { id: { type: 'string' }, model: { type: ['string', 'null'] }, test: { type: 'array', items: { type: ['string', 'null'] } }, metrics },
} as const;
const model = {
  type: 'object',
  required: ['id', 'strategy', 'status', 'modelClass', 'params', 'segments', 'test', 'metrics', 'online', 'created'],
  properties: {
    id: { type: 'string' },
    strategy: { type: 'string' },
    name: { type: 'string' },
    status: { type: 'string' },
    modelClass: { type: ['string', 'null'] },
    params: { type: 'object', additionalProperties: true },
    segments: { type: 'object', additionalProperties: true },
    test: { type: 'object', properties: { start: { type: ['string', 'null'] }, end: { type: ['string', 'null'] } } },
    metrics,
    online: { type: 'boolean' },
    created: { type: 'string' },
  },
} as const;
const historyEntry = {
  type: 'object',
  required: ['strategy', 'seq', 'effectiveDate', 'recorderIds', 'reason', 'createdAt'],
  properties: { manager: { type: 'string' }, strategy: { type: 'string' }, seq: { type: 'integer' }, effectiveDate: { type: 'string' }, recorderIds: { type: 'array', items: { type: 'string' } }, reason: { type: 'string' }, createdAt: { type: 'string' } },
} as const;
const versioned = { manager: { type: 'string' }, stateVersion: { type: 'integer' } } as const;

export const S = {
  health: {
    summary: 'Liveness and the served state version',
    response: {
      200: {
        type: 'object',
        required: ['ok', 'manager', 'stateVersion', 'lastRoutine', 'snapshot'],
        properties: {
          ok: { type: 'boolean' },
          ...versioned,
          lastRoutine: { type: ['string', 'null'] },
          dates: { type: 'integer' },
          snapshot: {
            type: 'object',
            description: 'How the in-memory snapshot stays current',
            required: ['notified', 'refreshes'],
            properties: {
              notified: { type: 'boolean', description: 'true: the store notifies state changes (PostgreSQL LISTEN/NOTIFY), requests do not check; false: requests check the version (SQLite)' },
              refreshes: {
                type: 'object',
                description: 'Loads of a new state version by what triggered them: start, request (a per-request check), notify, fallback (background check), reconnect (LISTEN re-established)',
                additionalProperties: { type: 'integer' },
              },
            },
          },
        },
      },
    },
  },
  signals: {
    summary: 'Signals of one date (the latest when date is omitted)',
    querystring: { type: 'object', additionalProperties: false, properties: { date } },
    response: { 200: { type: 'object', required: ['manager', 'stateVersion', 'date', 'signals'], properties: { ...versioned, date: { type: ['string', 'null'] }, signals: { type: 'array', items: signalRow } } }, 400: errorSchema },
  },
  signalsRange: {
    summary: 'Signals of every date from start to end (inclusive)',
    querystring: { type: 'object', additionalProperties: false, required: ['start', 'end'], properties: { start: date, end: date } },
    response: {
      200: { type: 'object', required: ['manager', 'stateVersion', 'dates'], properties: { ...versioned, dates: { type: 'array', items: { type: 'object', required: ['date', 'signals'], properties: { date: { type: 'string' }, signals: { type: 'array', items: signalRow } } } } } },
      400: errorSchema,
    },
  },
  online: {
    summary: 'The online models of each strategy',
    response: { 200: { type: 'object', required: ['manager', 'stateVersion', 'strategies'], properties: { ...versioned, strategies: { type: 'object', additionalProperties: { type: 'array', items: onlineModel } } } } },
  },
  models: {
    summary: 'Every recorder of the manager\'s strategies',
    response: { 200: { type: 'object', required: ['manager', 'stateVersion', 'models'], properties: { ...versioned, models: { type: 'array', items: model } } } },
  },
  model: {
    summary: 'One recorder: params, metrics, artifacts and its task',
    params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } },
    response: {
      200: { type: 'object', required: ['manager', 'stateVersion', 'model', 'artifacts'], properties: { ...versioned, model, artifacts: { type: 'array', items: { type: 'string' } }, task: {} } },
      404: errorSchema,
    },
  },
  history: {
    summary: 'Online-set changes and rollbacks',
    response: { 200: { type: 'object', required: ['manager', 'stateVersion', 'history'], properties: { ...versioned, history: { type: 'array', items: historyEntry } } } },
  },
  tasksStat: {
    summary: 'Task-pool counts by status and the running tasks (zero counts when the store hosts no pool)',
    response: {
      200: {
        type: 'object',
        required: ['manager', 'stateVersion', 'pools', 'total', 'running'],
        properties: {
          ...versioned,
          pools: { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'integer' } } },
          total: { type: 'object', additionalProperties: { type: 'integer' } },
          running: {
            type: 'array',
            items: { type: 'object', properties: { id: { type: 'string' }, pool: { type: 'string' }, experiment: { type: 'string' }, worker: { type: ['string', 'null'] }, leaseExpires: { type: ['string', 'null'] }, attempts: { type: 'integer' } } },
          },
        },
      },
    },
  },
  openapi: {
    summary: 'This document: every route with its request and response schemas',
    response: { 200: { type: 'object', required: ['openapi', 'info', 'paths'], additionalProperties: true, properties: { openapi: { type: 'string' }, info: { type: 'object', additionalProperties: true }, paths: { type: 'object', additionalProperties: true } } } },
  },
  dashboard: {
    summary: 'Everything the dashboard pages draw (one state version)',
    response: { 200: { type: 'object', required: ['manager', 'stateVersion', 'dates'], additionalProperties: true, properties: { ...versioned, dates: { type: 'array', items: { type: 'string' } } } } },
  },
  rollback: {
    summary: 'Put back the online set a strategy had at a date (needs --allow-writes and the bearer token)',
    body: { type: 'object', additionalProperties: false, required: ['strategy', 'to'], properties: { strategy: { type: 'string', minLength: 1 }, to: date, effective: date } },
    response: { 200: { type: 'object', required: ['ok', 'stateVersion'], properties: { ok: { type: 'boolean' }, stateVersion: { type: 'integer' } } }, 400: errorSchema, 401: errorSchema },
  },
  onlineSet: {
    summary: 'Put exactly these recorders online for a strategy (needs --allow-writes and the bearer token)',
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['strategy', 'recorders'],
      properties: { strategy: { type: 'string', minLength: 1 }, recorders: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } }, effective: date },
    },
    response: { 200: { type: 'object', required: ['ok', 'stateVersion'], properties: { ok: { type: 'boolean' }, stateVersion: { type: 'integer' } } }, 400: errorSchema, 401: errorSchema },
  },
};
