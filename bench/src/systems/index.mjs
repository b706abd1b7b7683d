// Every measured system: an id, the label the report shows, how to create it
// and the settings used.

/**
 * @typedef {object} SystemEntry
 * @property {string} id
 * @property {string} label
 * @property {'errand' | 'peer'} family
 * @property {string} store the service it writes to
 * @property {string} settings
 * @property {() => Promise<(context: import('./system.mjs').SystemContext) => Promise<import('./system.mjs').System>>} load
 */

const errandSettings = (durability) =>
  durability === 'memory'
    ? 'concurrency 32, no backend, default maxRecords (10,000)'
    : `concurrency 32, durability '${durability}', default maxBatch (1,000) and snapshotInterval`;

/** @type {SystemEntry[]} */
export const SYSTEMS = [
  errand('memory', 'Errand, in memory', 'memory'),
  ...['sqlite', 'redis', 'postgres', 'mysql'].flatMap((backend) =>
    ['snapshot', 'durable'].map((durability) =>
      errand(`${backend}-${durability}`, `Errand + ${label(backend)}, ${durability}`, backend),
    ),
  ),
  {
    id: 'bullmq',
    label: 'BullMQ 6 (Redis)',
    family: 'peer',
    store: 'redis',
    settings:
      'Worker concurrency 32, removeOnComplete/removeOnFail true (keeps no history), one Queue.add() per task',
    load: async () => {
      const { createBullmq } = await import('./bullmq.mjs');
      return (context) => createBullmq('default', context);
    },
  },
  {
    id: 'pg-boss',
    label: 'pg-boss 10 (PostgreSQL)',
    family: 'peer',
    store: 'postgres',
    settings:
      'work() with batchSize 1000 and pollingIntervalSeconds 0.5 (the minimum it accepts; v10 has no ' +
      'LISTEN/NOTIFY), each fetched batch run 32 at a time, supervise and schedule off, one send() per task',
    load: async () => {
      const { createPgBoss } = await import('./pg-boss.mjs');
      return (context) => createPgBoss('default', context);
    },
  },
  ...['default', 'batched'].map((variant) => ({
    id: `graphile-worker-${variant}`,
    label: `graphile-worker 0.17, ${variant} (PostgreSQL)`,
    family: /** @type {const} */ ('peer'),
    store: 'postgres',
    settings:
      variant === 'batched'
        ? 'concurrency 32, localQueue { size: 500 }, completeJobBatchDelay 0, failJobBatchDelay 0 ' +
          '(its performance docs), LISTEN/NOTIFY, one addJob() per task'
        : 'concurrency 32, its defaults (LISTEN/NOTIFY, pollInterval 2 s), one addJob() per task',
    load: async () => {
      const { createGraphileWorker } = await import('./graphile-worker.mjs');
      return (context) => createGraphileWorker(variant, context);
    },
  })),
];

function label(backend) {
  return { sqlite: 'SQLite', redis: 'Redis', postgres: 'PostgreSQL', mysql: 'MySQL (MariaDB)' }[backend];
}

/** @returns {SystemEntry} */
function errand(id, text, store) {
  const durability = id === 'memory' ? 'memory' : id.split('-')[1];
  return {
    id: `errand-${id}`,
    label: text,
    family: 'errand',
    store,
    settings: errandSettings(durability),
    load: async () => {
      const { createErrand } = await import('./errand.mjs');
      return (context) => createErrand(id, context);
    },
  };
}

/** @param {string} id */
export function systemById(id) {
  const entry = SYSTEMS.find((system) => system.id === id);
  if (!entry) throw new Error(`unknown system ${id}`);
  return entry;
}
