import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

/** Debian's redis-server (`apt-get install redis-server`; .ci/run installs it). */
const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';

export interface TestRedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Kills the server (SIGKILL: nothing is saved, as in a crash) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty, and waits until it answers PING (no-op while running). */
  start(): Promise<void>;
}

/**
 * Starts a real, throwaway redis-server on a free loopback port, without persistence
 * (`--save '' --appendonly no`), and waits until it answers PING. Stop it after the tests.
 */
export async function startRedisServer(): Promise<TestRedisServer> {
  const port = await freePort();
  let child: ChildProcess | null = null;

  async function start(): Promise<void> {
    if (child && child.exitCode === null) return; // already running
    const args = ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1'];
    const started = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
    child = started;
    let onExit = (_code: number | null) => undefined as unknown;
    const failed = new Promise<never>((_, reject) => {
      onExit = (code) => reject(new Error(`redis-server exited with code ${code}`));
      started.once('error', reject);
      started.once('exit', onExit);
    });
    try {
      await Promise.race([waitForPong(port, 10_000), failed]);
    } finally {
      started.off('exit', onExit); // a later kill is not a failed start
    }
  }

  async function stop(): Promise<void> {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  }

  await start();
  return { port, url: `redis://127.0.0.1:${port}`, start, stop };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPong(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ping(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(500, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) socket.end();
    });
    socket.on('close', () => resolve(reply.startsWith('+PONG')));
    socket.on('error', () => resolve(false));
  });
}
