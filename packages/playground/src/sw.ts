/**
 * The playground's service worker: after one visit the page and the runtimes it used load with
 * the server stopped.
 *
 * - The page shell is precached under a versioned cache name. The page itself (navigations)
 *   is network-first with the cached copy as the fallback, so a new deploy shows at once; the
 *   other shell files are cache-first, refreshed in the background.
 * - Runtime assets (`/assets/*`) are cache-first by their full URL, `?v=` included: a
 *   versioned asset never changes, so a cached copy is always right.
 * - The API (`/v1/*`) is never cached: a run's answer is never a stale one.
 *
 * Cached Responses keep their headers, so the page served from the cache still carries the
 * server's COOP/COEP/CSP headers and stays cross-origin isolated offline.
 */
// A module, so this `self` (the service worker scope) shadows the WebWorker lib's global one.
export {};
declare const self: ServiceWorkerGlobalScope;
declare const __CACHE_VERSION__: string;

const SHELL_CACHE = `wasmbox-shell-${__CACHE_VERSION__}`;
const ASSET_CACHE = "wasmbox-assets-v1";
const SHELL = ["/", "/app.js", "/app.css", "/manifest.webmanifest", "/icon.svg", "/icon-192.png", "/icon-512.png", "/examples/fleet.csv", "/sdk/wasmbox.mjs", "/assets/manifest.json"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      // One by one, not addAll: a shell file missing on this server (say, no assets manifest)
      // must not keep the rest from being cached.
      await Promise.all(SHELL.map(async (path) => {
        try {
          const response = await fetch(path, { cache: "no-cache" });
          if (response.ok) await cache.put(path, response);
        } catch {
          // Offline while installing: the next visit fills it in.
        }
      }));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("wasmbox-shell-") && name !== SHELL_CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/v1/") || url.pathname === "/healthz") return;
  if (request.mode === "navigate") event.respondWith(networkFirst(request, url.pathname === "/" ? "/" : url.pathname));
  else if (url.pathname.startsWith("/assets/") && url.pathname !== "/assets/manifest.json") event.respondWith(assetCacheFirst(request));
  // The SDK may load modules of its own beside /sdk/wasmbox.mjs: they are shell too.
  else if (SHELL.includes(url.pathname) || url.pathname.startsWith("/sdk/")) event.respondWith(shellCacheFirst(event, url.pathname));
});

/** The page: fresh when the server answers, the cached copy when it does not. */
async function networkFirst(request: Request, key: string): Promise<Response> {
  const cache = await caches.open(SHELL_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && key === "/") await cache.put(key, response.clone());
    return response;
  } catch (e) {
    const cached = await cache.match(key);
    if (cached) return cached;
    throw e;
  }
}

/** A shell file from the cache at once, refreshed from the network for the next load. */
async function shellCacheFirst(event: FetchEvent, key: string): Promise<Response> {
  const cache = await caches.open(SHELL_CACHE);
  const refresh = fetch(event.request).then(async (response) => {
    if (response.ok) await cache.put(key, response.clone());
    return response;
  });
  const cached = await cache.match(key);
  if (cached) {
    event.waitUntil(refresh.catch(() => undefined));
    return cached;
  }
  return await refresh;
}

/** Runtime files: immutable per full URL (`?v=`), so a cached copy is served without asking. */
async function assetCacheFirst(request: Request): Promise<Response> {
  const cache = await caches.open(ASSET_CACHE);
  const cached = await cache.match(request.url);
  if (cached) return cached;
  const response = await fetch(request);
  // Only whole answers: a 206 range answer or an error is not the file.
  if (response.status === 200) await cache.put(request.url, response.clone());
  return response;
}
