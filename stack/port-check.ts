/**
 * `up`'s second guarantee (docs/stack.md): every port of every component to start — the servers',
 * the exporters' (9408, 9409), ClickHouse's 8123, the pipeline's — is free before anything starts;
 * the first taken one stops `up`, naming the port and the component.
 */
import { EtlError } from '../lib/errors.js';
import { HOST } from '../lib/ports.js';
import type { NativeComponent } from './component.js';
import { portIsFree } from './net.js';

export async function assertPortsFree(
  components: readonly Pick<NativeComponent, 'name' | 'ports'>[],
): Promise<void> {
  for (const c of components) {
    for (const port of c.ports) {
      if (!(await portIsFree(port))) {
        throw new EtlError('PORT_IN_USE', `port ${HOST}:${port} needed by ${c.name} is already in use`, {
          hint: `stop whatever listens there (ss -ltnp 'sport = :${port}') or run \`make down\`, then \`make up\` again`,
        });
      }
    }
  }
}
