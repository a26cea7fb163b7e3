/**
 * The client lifecycle both ClickHouse targets (raw `sales_raw` and the aggregate tables) share:
 * the client is created in open(), answers /readyz by ping, and is dropped on close(). Kept in one
 * base so the two targets cannot drift on what "ready" or "closed" means.
 */
import type { ClickHouseClient } from '@clickhouse/client';

export abstract class ClickhouseClientOwner {
  protected client: ClickHouseClient | undefined;

  /** Names the target in the error thrown when it is used before open(). */
  protected abstract readonly ownerName: string;

  /** Ready for /readyz: the client exists and answers a ping. */
  async ready(): Promise<boolean> {
    try {
      return (await this.client?.ping())?.success ?? false;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.client?.close();
    this.client = undefined;
  }

  protected requireClient(): ClickHouseClient {
    if (!this.client) throw new Error(`${this.ownerName} used before open()`);
    return this.client;
  }
}
