import { createServer, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { afterResponse, InvalidOptionError } from '../src/index.js';
import { sleep, waitFor } from '../src/testing/index.js';

/** What each route's afterResponse work saw: whether the response had been sent in full when it ran. */
let runs: Array<{ route: string; responseSent: boolean }> = [];
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  runs = [];
  await Promise.all(closers.splice(0).map((close) => close()));
});

function work(route: string, res: ServerResponse) {
  return () => {
    runs.push({ route, responseSent: res.writableFinished });
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A request whose client hangs up before the (slow) response arrives. */
function abandon(url: string): Promise<void> {
  return new Promise((resolve) => {
    const req = httpRequest(url);
    req.on('error', () => resolve());
    req.end();
    setTimeout(() => {
      req.destroy();
      resolve();
    }, 50);
  });
}

async function check(base: string, framework: string) {
  expect((await fetch(`${base}/ok`)).status).toBe(201);
  await waitFor(() => runs.length === 1, 2000, `${framework}: the work after a sent response`);
  expect(runs).toEqual([{ route: 'ok', responseSent: true }]);
  expect((await fetch(`${base}/fails`)).status).toBe(500);
  expect((await fetch(`${base}/invalid`)).status).toBe(422);
  await abandon(`${base}/slow`);
  await sleep(300);
  expect(runs).toEqual([{ route: 'ok', responseSent: true }]);
}

describe('afterResponse', () => {
  it('node:http: runs after the response is sent, never for an error status or a dropped client', async () => {
    const server = createServer((req, res) => {
      const route = req.url!.slice(1);
      afterResponse(res, work(route, res));
      if (route === 'ok') res.writeHead(201).end('created');
      else if (route === 'fails') res.writeHead(500).end();
      else if (route === 'invalid') res.writeHead(422).end();
      else setTimeout(() => res.end('late'), 200);
    });
    await check(await listen(server), 'node:http');
  });

  it('Express: the same, an error thrown by the route included', async () => {
    const app = express();
    app.get('/ok', (_req, res) => {
      afterResponse(res, work('ok', res));
      res.status(201).send('created');
    });
    app.get('/fails', (_req, res) => {
      afterResponse(res, work('fails', res));
      throw new Error('boom');
    });
    app.get('/invalid', (_req, res) => {
      afterResponse(res, work('invalid', res));
      res.status(422).json({ error: 'invalid' });
    });
    app.get('/slow', (_req, res) => {
      afterResponse(res, work('slow', res));
      setTimeout(() => res.send('late'), 200);
    });
    app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).send('error');
    });
    await check(await listen(createServer(app)), 'Express');
  });

  it('Fastify: takes the reply', async () => {
    const app = Fastify();
    app.get('/ok', async (_request, reply) => {
      afterResponse(reply, work('ok', reply.raw));
      reply.code(201);
      return 'created';
    });
    app.get('/fails', async (_request, reply) => {
      afterResponse(reply, work('fails', reply.raw));
      throw new Error('boom');
    });
    app.get('/invalid', async (_request, reply) => {
      afterResponse(reply, work('invalid', reply.raw));
      return reply.code(422).send({ error: 'invalid' });
    });
    app.get('/slow', async (_request, reply) => {
      afterResponse(reply, work('slow', reply.raw));
      await sleep(200);
      return 'late';
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => app.close());
    await check(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, 'Fastify');
  });

  it('Hono on @hono/node-server: takes the context', async () => {
    const app = new Hono<{ Bindings: { outgoing: ServerResponse } }>();
    app.get('/ok', (c) => {
      afterResponse(c, work('ok', c.env.outgoing));
      return c.text('created', 201);
    });
    app.get('/fails', (c) => {
      afterResponse(c, work('fails', c.env.outgoing));
      throw new Error('boom');
    });
    app.get('/invalid', (c) => {
      afterResponse(c, work('invalid', c.env.outgoing));
      return c.json({ error: 'invalid' }, 422);
    });
    app.get('/slow', async (c) => {
      afterResponse(c, work('slow', c.env.outgoing));
      await sleep(200);
      return c.text('late');
    });
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    await new Promise((resolve) => server.once('listening', resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    await check(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'Hono');
  });

  it('reports what the work throws, resolves to whether it ran, and refuses what is not a response', async () => {
    const errors: unknown[] = [];
    let ran: Promise<boolean> | undefined;
    const server = createServer((_req, res) => {
      ran = afterResponse(
        res,
        async () => {
          throw new Error('queue down');
        },
        { onError: (error) => errors.push(error) },
      );
      res.end('ok');
    });
    const base = await listen(server);
    await fetch(base);
    expect(await ran).toBe(true);
    expect(errors).toMatchObject([{ message: 'queue down' }]);
    expect(() => afterResponse({} as ServerResponse, () => {})).toThrow(InvalidOptionError);
    expect(() => afterResponse({ req: {}, env: {} }, () => {})).toThrow(/c\.env\.outgoing/);
  });
});
