import { createServer, type Server, Socket } from 'node:net';

/**
 * A TCP proxy in front of a real server that can stall: while stalled it
 * accepts and holds every byte in both directions without passing it on
 * and without closing anything, the way a black-holed network path or a
 * frozen server looks to a client. `resume()` passes what it held, as TCP
 * retransmission would once the path heals; `cut()` resets every
 * connection, as a server restart would.
 */
export class StallProxy {
  readonly #server: Server;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket; held: Array<[Socket, Buffer]> }>();
  #stalled = false;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Starts a proxy on a free port of 127.0.0.1 that forwards to `target`. */
  static async start(target: { host: string; port: number }): Promise<StallProxy> {
    const server = createServer();
    const proxy = new StallProxy(server);
    server.on('connection', (client) => proxy.#accept(client, target));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    const address = this.#server.address();
    if (!address || typeof address === 'string') throw new Error('the proxy is not listening');
    return address.port;
  }

  /** Connections open through the proxy now. */
  get connections(): number {
    return this.#pairs.size;
  }

  /** Holds every byte from now on, in both directions, and keeps every connection open. */
  stall(): void {
    this.#stalled = true;
  }

  /** Passes on what was held and forwards again. */
  resume(): void {
    this.#stalled = false;
    for (const pair of this.#pairs) {
      for (const [to, chunk] of pair.held.splice(0)) if (!to.destroyed) to.write(chunk);
    }
  }

  /** Resets every open connection (new ones are still accepted). */
  cut(): void {
    for (const pair of this.#pairs) {
      pair.client.resetAndDestroy();
      pair.upstream.destroy();
    }
    this.#pairs.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket, target: { host: string; port: number }): void {
    const upstream = new Socket();
    const pair = { client, upstream, held: [] as Array<[Socket, Buffer]> };
    this.#pairs.add(pair);
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk: Buffer) => {
        if (this.#stalled) pair.held.push([to, chunk]);
        else to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    upstream.connect(target.port, target.host);
  }
}
