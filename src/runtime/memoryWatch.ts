import { readFileSync } from 'node:fs';

/** How often the process's memory is sampled: a balance of reaction time and cost (one small read). */
const SAMPLE_INTERVAL_MS = 20;

/**
 * The peak resident set of a process in kB (`VmHWM` in `/proc/<pid>/status`,
 * Linux), or undefined. The kernel keeps the peak itself, so a spike between
 * two samples still shows; it belongs to the address space exec created, so
 * a worker's peak never includes the memory of the CLI that forked it.
 */
export function peakResidentKb(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Holds a worker process to its memory size the way Lambda holds a sandbox:
 * the whole resident set counts (Buffers and native memory, not only the V8
 * heap). A cgroup would enforce it in the kernel but needs root or a systemd
 * delegation; sampling the kernel's peak needs neither. The worker also
 * reports its own peak with every result and the runtime checks that too,
 * which is the only check where `/proc` does not exist.
 */
export class MemoryWatch {
  private peakKb = 0;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pid: number,
    private readonly limitMb: number,
    onExceeded: () => void,
  ) {
    if (peakResidentKb(pid) === undefined) return;
    this.timer = setInterval(() => {
      const kb = peakResidentKb(this.pid);
      if (kb === undefined) return;
      this.peakKb = Math.max(this.peakKb, kb);
      if (kb > this.limitMb * 1024) {
        this.stop();
        onExceeded();
      }
    }, SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  /** The highest resident set seen, in MB (rounded up, as REPORT shows it). */
  get peakMb(): number {
    return Math.ceil(this.peakKb / 1024);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
