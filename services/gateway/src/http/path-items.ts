/** The route template a concrete path belongs to, with the methods served there. */
export interface PathItem {
  /** The Fastify URL (`/api/v1/vitals/:id`). */
  url: string;
  /** Sorted, upper case (`DELETE, GET`). */
  methods: string[];
}

/** What matching needs to know of a route: its method and Fastify URL. */
export interface RouteMethod {
  method: string;
  url: string;
}

/**
 * Resolves a concrete path to its path item as OpenAPI does: a path without templating wins
 * over a templated one that also matches (`/vitals/summary` over `/vitals/{id}`), and at the
 * first segment where two templates differ, the literal one wins. The router, by contrast,
 * matches per method, so `DELETE /vitals/summary` would reach `DELETE /vitals/:id`; answering by
 * path item keeps `Allow` and 405 to what the document says each path serves. Compiled on first
 * use, once every route is registered.
 */
export function pathItemsOf(routes: () => Iterable<RouteMethod>): (path: string) => PathItem | undefined {
  let items: { url: string; methods: string[]; pattern: RegExp; segments: string[] }[] | undefined;
  const compile = () => {
    const methodsByUrl = new Map<string, Set<string>>();
    for (const { method, url } of routes()) {
      const methods = methodsByUrl.get(url) ?? new Set<string>();
      methods.add(method.toUpperCase());
      methodsByUrl.set(url, methods);
    }
    return [...methodsByUrl]
      .map(([url, methods]) => ({
        url,
        methods: [...methods].sort(),
        pattern: pathPattern(url),
        segments: url.split('/'),
      }))
      .sort((a, b) => compareSpecificity(a.segments, b.segments));
  };
  return (path) => {
    items ??= compile();
    const item = items.find(({ pattern }) => pattern.test(path));
    return item && { url: item.url, methods: item.methods };
  };
}

/** Negative when `a` is the more specific template: the literal segment wins at the first difference. */
function compareSpecificity(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const aParam = a[i]!.includes(':');
    const bParam = b[i]!.includes(':');
    if (aParam !== bParam) return aParam ? 1 : -1;
  }
  return a.length - b.length;
}

function pathPattern(url: string): RegExp {
  const parts = url
    .split(/(:[A-Za-z0-9_]+)/)
    .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${parts.join('')}$`);
}
