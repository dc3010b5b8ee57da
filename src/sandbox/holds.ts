/**
 * Held answers (the holdNextResponses knob): a timer per held request, all released at
 * once on close so a held handler never keeps the process alive.
 */
export class Holds {
  private readonly waiting = new Set<{ timer: NodeJS.Timeout; release: () => void }>();

  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.waiting.delete(entry);
          resolve();
        }, ms),
        release: resolve,
      };
      this.waiting.add(entry);
    });
  }

  /** Answers being held right now: requests the gateway received and has not answered yet. */
  size(): number {
    return this.waiting.size;
  }

  releaseAll(): void {
    for (const entry of this.waiting) {
      clearTimeout(entry.timer);
      entry.release();
    }
    this.waiting.clear();
  }
}
