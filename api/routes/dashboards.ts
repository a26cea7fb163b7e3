/**
 * The product's dashboards without Grafana: `serve` renders dashboards/*.json (the files Grafana
 * provisions) in the browser with uPlot, querying Prometheus through itself.
 *
 *   GET /dashboards                    the list (page)
 *   GET /dashboards/<uid>              one dashboard: its panels, a time range picker, live refresh (page)
 *   GET /dashboards/assets/<file>      the pages' scripts and style sheets, uPlot's from node_modules (public: static code)
 *   GET /v1/dashboards                 the list (JSON)
 *   GET /v1/dashboards/<uid>           one dashboard's JSON, as in dashboards/
 *   GET /v1/prometheus/query           a PromQL instant query   (query, time, range; dashboard=<uid> for its variables)
 *   GET /v1/prometheus/query_range     a PromQL range query     (query, start, end, step; dashboard=<uid>)
 *
 * Scope `read`; a `control` token or the control panel's session may read them too (the panel
 * shows live charts and links here). The pages carry the panel's strict CSP: own files only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig } from '../../lib/config/index.js';
import { projectRoot } from '../../stack/paths.js';
import type { Dashboard } from '../dashboards/catalog.js';
import { findDashboard, summaries } from '../dashboards/catalog.js';
import type { QueryKind } from '../dashboards/prometheus.js';
import { forwardQuery, prometheusParams } from '../dashboards/prometheus.js';
import { HttpError, sendJson } from '../http.js';
import type { ApiContext, RequestContext, RouteDef, RouteModule } from '../router.js';
import { CONTROL_PANEL_SCHEMA } from './control-panel.js';
import { PANEL_CSP, escapeHtml } from './panel-pages.js';

export interface DashboardsOptions {
  /** Where dashboards/*.json are (default: the project's dashboards/). */
  dir?: string;
  prometheusUrl?: string;
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** Files under /dashboards/assets/: [folder under the project root, content type] (a Map: no Object keys). */
const ASSETS = new Map<string, [string, string]>([
  ['dashboard.js', ['api/dashboards/web', JS]],
  ['charts.js', ['api/dashboards/web', JS]],
  ['panels.js', ['api/dashboards/web', JS]],
  ['format.js', ['api/dashboards/web', JS]],
  ['dashboards.css', ['api/dashboards/web', CSS]],
  ['uPlot.iife.min.js', ['node_modules/uplot/dist', JS]],
  ['uPlot.min.css', ['node_modules/uplot/dist', CSS]],
]);

const SIGN_IN = '/panel/login?next=/dashboards';
const ACCESS = { access: 'read', alsoScopes: ['control'] } as const;

const pageHeaders = (type: string): Record<string, string> => ({
  'content-type': type,
  'cache-control': 'no-store',
  'content-security-policy': PANEL_CSP,
});

const page = (name: string): string =>
  readFileSync(join(projectRoot(), 'api', 'dashboards', 'web', name), 'utf8');

export function dashboardsModule(options: DashboardsOptions = {}): RouteModule {
  return {
    name: 'dashboards',
    create(_ctx: ApiContext) {
      const config = resolveConfig(
        'serve',
        { prometheusUrl: CONTROL_PANEL_SCHEMA.prometheusUrl },
        { prometheusUrl: options.prometheusUrl },
      );
      const dir = options.dir ?? join(projectRoot(), 'dashboards');
      const dashboard = (uid: string): Dashboard => {
        const d = findDashboard(dir, uid);
        if (!d)
          throw new HttpError(
            404,
            'NOT_FOUND',
            `no dashboard with uid ${uid}; GET /v1/dashboards lists them`,
          );
        return d;
      };
      const proxy =
        (kind: QueryKind) =>
        async ({ res, url }: RequestContext): Promise<void> => {
          const uid = url.searchParams.get('dashboard');
          const variables = uid ? (dashboard(uid).templating?.list ?? []) : [];
          const answer = await forwardQuery(
            config.prometheusUrl,
            kind,
            prometheusParams(kind, url, variables),
          );
          sendJson(res, 200, answer, { 'cache-control': 'no-store' });
        };
      const routes: RouteDef[] = [
        {
          method: 'GET',
          path: '/dashboards',
          ...ACCESS,
          signIn: SIGN_IN,
          handler: ({ res }) => {
            const items = summaries(dir)
              .map(
                (d) =>
                  `<li><a href="/dashboards/${encodeURIComponent(d.uid)}">${escapeHtml(d.title)}</a>` +
                  ` <small>${d.panels} panels · dashboards/${escapeHtml(d.file)}</small>` +
                  `<p>${escapeHtml(d.description)}</p></li>`,
              )
              .join('\n');
            res.writeHead(200, pageHeaders('text/html; charset=utf-8'));
            res.end(page('index.html').replace('__DASHBOARDS__', items));
          },
        },
        {
          method: 'GET',
          path: '/dashboards/:uid',
          ...ACCESS,
          signIn: SIGN_IN,
          handler: ({ res, params }) => {
            const d = dashboard(params['uid'] ?? '');
            res.writeHead(200, pageHeaders('text/html; charset=utf-8'));
            res.end(
              page('dashboard.html')
                .replaceAll('__TITLE__', escapeHtml(d.title))
                .replace('__UID__', escapeHtml(d.uid))
                .replace('__DESCRIPTION__', escapeHtml(d.description ?? '')),
            );
          },
        },
        {
          method: 'GET',
          path: '/dashboards/assets/:file',
          access: 'public',
          handler: ({ res, params }) => {
            const file = params['file'] ?? '';
            const asset = ASSETS.get(file);
            if (asset === undefined) throw new HttpError(404, 'NOT_FOUND', `no such dashboard file: ${file}`);
            res.writeHead(200, pageHeaders(asset[1]));
            res.end(readFileSync(join(projectRoot(), asset[0], file)));
          },
        },
        {
          method: 'GET',
          path: '/v1/dashboards',
          ...ACCESS,
          handler: ({ res }) => sendJson(res, 200, { dashboards: summaries(dir) }),
        },
        {
          method: 'GET',
          path: '/v1/dashboards/:uid',
          ...ACCESS,
          handler: ({ res, params }) => sendJson(res, 200, dashboard(params['uid'] ?? '')),
        },
        { method: 'GET', path: '/v1/prometheus/query', ...ACCESS, handler: proxy('query') },
        { method: 'GET', path: '/v1/prometheus/query_range', ...ACCESS, handler: proxy('query_range') },
      ];
      return { routes };
    },
  };
}
