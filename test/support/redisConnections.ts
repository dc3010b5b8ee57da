import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * Local ports of this process's established TCP connections to `remotePort`, read from Linux
 * /proc: the sockets among our own file descriptors. On a shared Redis this is the only way
 * to tell the engine's connections (most BullMQ connections carry no client name) from
 * everybody else's.
 */
export function ownConnectionPorts(remotePort: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      /* closed meanwhile */
    }
  }
  const ports = new Set<number>();
  for (const file of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [, local, remote, state] = cols;
      const inode = cols[9];
      // 01 = ESTABLISHED; addresses are HEXIP:HEXPORT.
      if (!local || !remote || state !== '01' || !inode || !inodes.has(inode)) continue;
      if (parseInt(remote.split(':')[1] ?? '', 16) !== remotePort) continue;
      ports.add(parseInt(local.split(':')[1] ?? '', 16));
    }
  }
  return ports;
}

/**
 * What a Redis restart does to this process: every connection it holds is cut (CLIENT KILL),
 * except the one `admin` uses to do it. Other processes' connections are left alone.
 * Returns how many were killed.
 */
export async function killOwnRedisConnections(admin: Redis, redisPort = 6379): Promise<number> {
  const ports = ownConnectionPorts(redisPort);
  const list = String(await admin.client('LIST'));
  let killed = 0;
  for (const line of list.split('\n')) {
    const id = /\bid=(\d+)/.exec(line)?.[1];
    const port = Number(/\baddr=\S+:(\d+)/.exec(line)?.[1]);
    if (id && ports.has(port)) killed += Number(await admin.call('CLIENT', 'KILL', 'ID', id, 'SKIPME', 'yes'));
  }
  return killed;
}
