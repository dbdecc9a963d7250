// CPU time of the processes of a local stack, from /proc (Linux): how a
// drain's cost splits between DynamoDB Local (Java), the mapping runner and
// the function's workers, and how busy the whole machine was meanwhile. On
// two cores the question a miss raises is whether one process or the machine
// was the bound; this answers it per record, whatever else was running.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { round } from './lib.mjs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of one process in seconds, or undefined once it is gone. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** `root` and every live descendant, from /proc's parent links. */
function processTree(root) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(name)]);
    } catch {}
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}

/**
 * CPU seconds of a command's process tree (a launcher and the child it
 * re-executes): `sample()` while it runs, as each process's time is gone
 * from /proc once it exits; `seconds()` sums every process's last reading.
 */
export function treeCpuMeter(root) {
  const last = new Map();
  return {
    sample() {
      for (const pid of processTree(root)) {
        const s = cpuSeconds(pid);
        if (s !== undefined) last.set(pid, s);
      }
    },
    seconds: () => [...last.values()].reduce((a, b) => a + b, 0),
  };
}

/** How many cores the whole machine kept busy from now until `stop()` (every process, not only ours). */
export function machineBusyCores() {
  const busy0 = machineBusySeconds();
  const t0 = performance.now();
  return { stop: () => (machineBusySeconds() - busy0) / ((performance.now() - t0) / 1000) };
}

/** CPU seconds DynamoDB Local (its JVM and anything it started) spends from now until `stop()`. */
export function dynamodbLocalCpu(state) {
  const total = () => processTree(state.dynamodb.pid).reduce((sum, pid) => sum + (cpuSeconds(pid) ?? 0), 0);
  const start = total();
  return { stop: () => total() - start };
}

/** The machine's busy CPU seconds so far, from /proc/stat. */
function machineBusySeconds() {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  return (total - ticks[3] - ticks[4]) / TICKS_PER_SECOND;
}

/**
 * Starts counting the CPU of a local stack's processes (`state` is its
 * local.json): `sample()` while it runs picks up workers that come and go,
 * `stop(records)` gives CPU ms per record by group and the machine's busy cores.
 */
export function stackCpu(state) {
  const groups = {
    dynamodbLocal: () => processTree(state.dynamodb.pid),
    runner: () => [state.runner.pid],
    workers: () => processTree(state.runner.pid).filter((pid) => pid !== state.runner.pid),
  };
  /** group -> pid -> [first reading, last reading] */
  const seen = Object.fromEntries(Object.keys(groups).map((g) => [g, new Map()]));
  const sample = () => {
    for (const [group, pids] of Object.entries(groups))
      for (const pid of pids()) {
        const s = cpuSeconds(pid);
        if (s === undefined) continue;
        const known = seen[group].get(pid);
        // A worker first seen mid-run started after the first reading: it counts from 0.
        if (known) known[1] = s;
        else seen[group].set(pid, [started ? 0 : s, s]);
      }
  };
  let started = false;
  sample();
  started = true;
  const t0 = performance.now();
  const busy0 = machineBusySeconds();
  return {
    sample,
    stop(records) {
      sample();
      const seconds = (performance.now() - t0) / 1000;
      const msPerRecord = {};
      for (const [group, pids] of Object.entries(seen)) {
        let total = 0;
        for (const [first, last] of pids.values()) total += last - first;
        msPerRecord[group] = round((total * 1000) / records, 2);
      }
      const stackMs = Object.values(msPerRecord).reduce((a, b) => a + b, 0);
      const cores = os.cpus().length;
      return {
        msPerRecord,
        stackMsPerRecord: round(stackMs, 2),
        // What the stack could drain with every core to itself and nothing else running.
        cpuCeilingRecordsPerSecond: round((cores * 1000) / Math.max(0.001, stackMs), 0),
        machineCoresBusy: round((machineBusySeconds() - busy0) / seconds, 2),
        cores,
      };
    },
  };
}
