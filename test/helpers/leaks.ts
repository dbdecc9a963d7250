import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/client-dynamodb';

/** Every file under `dir` (recursively), or none when it does not exist. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)])),
  );
  return nested.flat();
}

/** The values that must never show up outside the source table: the customers' emails and names. */
export async function sourcePii(client: DynamoDBClient, table: string): Promise<string[]> {
  const values = new Set<string>();
  let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      for (const name of ['customerEmail', 'customerName']) {
        const v = item[name]?.S;
        if (v && v.length >= 6) values.add(v);
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return [...values];
}

export interface Leak {
  where: string;
  what: string;
}

/** Which of `needles` occur in which texts (named), case-insensitively. */
export function findLeaks(
  texts: Record<string, string>,
  needles: { label: string; value: string }[],
): Leak[] {
  const leaks: Leak[] = [];
  for (const [where, text] of Object.entries(texts)) {
    const haystack = text.toLowerCase();
    for (const needle of needles) {
      if (haystack.includes(needle.value.toLowerCase())) leaks.push({ where, what: needle.label });
    }
  }
  return leaks;
}

/** The contents of every file under the given dirs/files, keyed by path (binary files skipped). */
export async function readTexts(paths: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const p of paths) {
    const files = (await filesUnder(p)).length ? await filesUnder(p) : [p];
    for (const file of files) {
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text !== undefined && !text.includes('\u0000')) out[file] = text;
    }
  }
  return out;
}

/** Child processes of `pid` (from /proc), recursively. */
export async function descendants(pid: number): Promise<number[]> {
  const found: number[] = [];
  const all = (await readdir('/proc')).filter((d) => /^\d+$/.test(d));
  const parents = new Map<number, number>();
  for (const d of all) {
    const stat = await readFile(`/proc/${d}/stat`, 'utf8').catch(() => '');
    // The command name may hold spaces and parentheses: fields after the last ')' are fixed.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid) parents.set(Number(d), ppid);
  }
  const walk = (p: number) => {
    for (const [child, parent] of parents) {
      if (parent === p) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

function decodeAddress(hex: string): { address: string; port: number } {
  const [ip, port] = hex.split(':') as [string, string];
  let address: string;
  if (ip.length === 8) {
    const b = Buffer.from(ip, 'hex');
    address = [b[3], b[2], b[1], b[0]].join('.');
  } else {
    // IPv6: four little-endian 32-bit words.
    const words = (ip.match(/.{8}/g) ?? []).map((w) => Buffer.from(w, 'hex').reverse().toString('hex'));
    const full = words.join('');
    address = full === '0'.repeat(32) ? '::' : full === `${'0'.repeat(31)}1` ? '::1' : full;
    if (full.startsWith('00000000000000000000ffff')) {
      const v4 = Buffer.from(full.slice(24), 'hex');
      address = `::ffff:${[...v4].join('.')}`;
    }
  }
  return { address, port: Number.parseInt(port, 16) };
}

/** The TCP sockets `pid` listens on, from /proc (Linux). */
export async function listeningSockets(pid: number): Promise<{ address: string; port: number }[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m?.[1]) inodes.add(m[1]);
  }
  const out: { address: string; port: number }[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const rows = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const row of rows) {
      const cols = row.trim().split(/\s+/);
      // cols: sl local rem st ... inode (index 9); 0A = LISTEN
      if (cols[3] === '0A' && cols[9] && inodes.has(cols[9]) && cols[1]) out.push(decodeAddress(cols[1]));
    }
  }
  return out;
}
