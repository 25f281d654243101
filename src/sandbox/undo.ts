/** An undo stack: every setup step that creates something pushes the step that removes it. */
export class UndoStack {
  private readonly steps: { label: string; run: () => Promise<unknown> }[] = [];

  push(label: string, run: () => Promise<unknown>): void {
    this.steps.push({ label, run });
  }

  get size(): number {
    return this.steps.length;
  }

  /** Run every step, newest first; a failing step does not stop the others. Returns the failures. */
  async unwind(): Promise<string[]> {
    const failures: string[] = [];
    while (this.steps.length) {
      const step = this.steps.pop();
      if (!step) break;
      try {
        await step.run();
      } catch (e) {
        failures.push(`${step.label}: ${(e as Error).message}`);
      }
    }
    return failures;
  }
}
