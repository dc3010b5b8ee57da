/**
 * One line of progress on a terminal, redrawn in place (`\r` + erase to end of line). Only
 * for a TTY: piped or redirected output gets nothing from here, so scripts and logs see the
 * command's result alone.
 */
export interface TerminalLike {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

const ERASE_LINE = '\x1b[K';

export class TerminalProgress {
  private shown = false;
  private constructor(private readonly term: TerminalLike) {}

  /** A progress line on `term`, or null when it is not a terminal (quiet when piped). */
  static on(term: TerminalLike | null | undefined): TerminalProgress | null {
    return term?.isTTY === true ? new TerminalProgress(term) : null;
  }

  update(text: string): void {
    // A pseudo-terminal without a size reports 0 columns: assume 80 then.
    const columns = this.term.columns && this.term.columns > 0 ? this.term.columns : 80;
    const width = Math.max(20, columns - 1);
    this.term.write(`\r${text.length > width ? text.slice(0, width) : text}${ERASE_LINE}`);
    this.shown = true;
  }

  /** Leaves the last progress line on screen and moves to the next line. */
  finish(): void {
    if (!this.shown) return;
    this.term.write('\n');
    this.shown = false;
  }

  /** Removes the progress line (before the final result is printed). */
  clear(): void {
    if (!this.shown) return;
    this.term.write(`\r${ERASE_LINE}`);
    this.shown = false;
  }
}
