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
import { panelPagesModule } from './panel-pages.js';
import type { ConnectMetricsOptions } from './control-panel-connect.js';
import { connectMetricsModule } from './control-panel-connect.js';
import type { DashboardsOptions } from './dashboards.js';
import { dashboardsModule } from './dashboards.js';

export interface ModuleOptions {
  ingest?: IngestModuleOptions;
  controlPanel?: ControlPanelOptions;
  connectMetrics?: ConnectMetricsOptions;
  queries?: Record<string, unknown>;
  dashboards?: DashboardsOptions;
}

export function routeModules(options: ModuleOptions = {}): RouteModule[] {
  return [
    ingestModule(options.ingest),
    panelPagesModule(),
    controlPanelModule(options.controlPanel),
    queriesModule(options.queries),
    connectMetricsModule(options.connectMetrics),
    dashboardsModule(options.dashboards),
    // Later features add their modules here (queries, control panel, control routes).
  ];
}
