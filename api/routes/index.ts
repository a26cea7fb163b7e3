/**
 * Every route module of `retail-etl serve`. To add routes: write api/routes/<name>.ts exporting a
 * RouteModule (see ingest.ts) and add one line below.
 */
import type { RouteModule } from '../router.js';
import type { IngestModuleOptions } from './ingest.js';
import { ingestModule } from './ingest.js';
import type { ControlPanelOptions } from './control-panel.js';
import { controlPanelModule } from './control-panel.js';
import { queriesModule } from './queries.js';

export interface ModuleOptions {
  ingest?: IngestModuleOptions;
  controlPanel?: ControlPanelOptions;
  queries?: Record<string, unknown>;
}

export function routeModules(options: ModuleOptions = {}): RouteModule[] {
  return [
    ingestModule(options.ingest),
    controlPanelModule(options.controlPanel),
    queriesModule(options.queries),
    // Later features add their modules here (queries, control panel, control routes).
  ];
}
