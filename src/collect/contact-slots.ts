// How many proxies a live collection contacts at once, and in which order first and second contacts take the slots.

/**
 * Contacts at most `n` proxies at once. A proxy's second contact (its second stats sample) waits behind first
 * contacts until it has waited `slackMs`: every first sample is taken as early as it can be, so the last proxy's
 * interval starts early, and no proxy's window between its samples stretches far beyond the interval (collectAll
 * gives one interval of slack: a window of about twice the interval at most, unless the slots are full of overdue
 * second contacts).
 */
export class Slots {
  private free: number;
  private readonly firsts: Array<() => void> = [];
  private readonly seconds: Array<{ start: () => void; urgentAt: number }> = [];
  private readonly slackMs: number;
  private readonly now: () => number;

  constructor(n: number, slackMs = 0, now: () => number = Date.now) {
    this.free = Math.max(1, n);
    this.slackMs = slackMs;
    this.now = now;
  }

  /** Runs `task` once a slot is free, holding it until the task settles; `secondContact` is its lane. */
  async run<T>(task: () => Promise<T>, secondContact = false): Promise<T> {
    const release = await this.acquire(secondContact);
    try {
      return await task();
    } finally {
      release();
    }
  }

  /** Waits for a slot and returns the function that gives it back (call it once). */
  async acquire(secondContact = false): Promise<() => void> {
    if (this.free > 0) this.free--;
    else {
      await new Promise<void>((start) => {
        if (secondContact) this.seconds.push({ start, urgentAt: this.now() + this.slackMs });
        else this.firsts.push(start);
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release();
    };
  }

  private release(): void {
    const second = this.seconds[0];
    if (second && (this.firsts.length === 0 || second.urgentAt <= this.now())) {
      this.seconds.shift();
      second.start();
    } else {
      const first = this.firsts.shift();
      if (first) first();
      else this.free++;
    }
  }
}
