import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { fastifyDashboard } from '../src/adapters/fastify.js';
import { toNodeHandler } from '../src/adapters/node.js';
import type { Dashboard } from '../src/index.js';

/** A way to reach a mounted dashboard: `send(path)` with a path under the base path. */
export interface Mounted {
  /** The origin the dashboard answers on (what its page's Origin header would be). */
  origin: string;
  send(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

function listening(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}

function overHttp(origin: string, close: () => Promise<void>): Mounted {
  return { origin, send: (path, init) => fetch(`${origin}${path}`, init), close };
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

/** The same dashboard through each of the five ways the README documents. */
export const ADAPTERS: Record<string, (dashboard: Dashboard) => Promise<Mounted>> = {
  async fetch(dashboard) {
    const origin = 'http://dashboard.test';
    return {
      origin,
      send: (path, init) => dashboard.fetch(new Request(`${origin}${path}`, init)),
      close: async () => {},
    };
  },
  async 'node:http'(dashboard) {
    const server = createServer(toNodeHandler(dashboard));
    return overHttp(await listening(server), closer(server));
  },
  async express(dashboard) {
    const app = express();
    // A body parser before the dashboard must not break its actions.
    app.use(express.json());
    app.get('/', (_req, res) => {
      res.send('the app');
    });
    app.use(dashboard.basePath, toNodeHandler(dashboard));
    const server = createServer(app);
    return overHttp(await listening(server), closer(server));
  },
  async fastify(dashboard) {
    const app = Fastify();
    app.get('/', async () => 'the app');
    await app.register(fastifyDashboard, { dashboard });
    const origin = await app.listen({ port: 0, host: '127.0.0.1' });
    return overHttp(origin, async () => {
      app.server.closeAllConnections();
      await app.close();
    });
  },
  async hono(dashboard) {
    const app = new Hono();
    app.get('/', (c) => c.text('the app'));
    app.mount(dashboard.basePath, dashboard.fetch);
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    await new Promise((resolve) => server.once('listening', resolve));
    return overHttp(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, closer(server));
  },
};
