/**
 * A sleep that a control change can cut short: the send loop waits for tokens or sits paused in
 * `sleep`, and a new rate, a resume or a stop calls `wake` so it acts within milliseconds.
 */
export class Waker {
  private wakeUp: (() => void) | undefined;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
    });
  }

  wake(): void {
    this.wakeUp?.();
  }
}
