import { expect } from '@playwright/test';
import { hydrated, signIn, test } from '../tests/helpers';

const PAGE = '/galleries/2';
const TRIES = Number(process.env.TRIES ?? 5);

// The gallery page's bundle as a first visit fetches it (bytes on the wire, by encoding, and
// its cache header), then its time to interactive (navigation start to hydrated) on a cold
// and on a warm cache, p50 of TRIES. Prints figures; asserts only that it measured something.
test('gallery page weight and time to interactive', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Notes when the app marks the page hydrated, in the page's own clock (from navigation start).
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.body?.dataset.hydrated === 'true') {
        (window as any).__hydratedAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-hydrated'] });
  });
  await signIn(page, 'teacher');
  const fetched: { url: string; bytes: number; encoding: string; cache: string }[] = [];
  page.on('response', async (response) => {
    const url = new URL(response.url());
    if (!url.pathname.startsWith('/pkg/')) return;
    const sizes = await response.request().sizes();
    fetched.push({
      url: url.pathname,
      bytes: sizes.responseBodySize,
      encoding: response.headers()['content-encoding'] ?? 'identity',
      cache: response.headers()['cache-control'] ?? '-',
    });
  });
  // A first visit: nothing cached (signing in loaded the bundle once already).
  const session = await context.newCDPSession(page);
  await session.send('Network.clearBrowserCache');
  await session.detach();
  await page.goto(PAGE);
  await hydrated(page);
  expect(fetched.length).toBeGreaterThan(0);
  expect(fetched.every((file) => file.bytes > 0), 'every file came over the network').toBe(true);
  for (const file of fetched) {
    console.log(`bundle: ${file.url} ${(file.bytes / 1024).toFixed(1)} KB on the wire (${file.encoding}), cache-control: ${file.cache}`);
  }
  const wasm = fetched.filter((f) => f.url.endsWith('.wasm')).reduce((sum, f) => sum + f.bytes, 0);
  console.log(`bundle: WebAssembly ${(wasm / 1024).toFixed(1)} KB on the wire before interactive`);

  const timeToInteractive = async (cold: boolean): Promise<number> => {
    if (cold) {
      const session = await context.newCDPSession(page);
      await session.send('Network.clearBrowserCache');
      await session.detach();
    }
    await page.goto(PAGE);
    await hydrated(page);
    const at = await page.evaluate(() => (window as any).__hydratedAt as number | undefined);
    expect(at, 'the hydration time was seen').toBeGreaterThan(0);
    return at!;
  };
  for (const cold of [true, false]) {
    const times: number[] = [];
    for (let i = 0; i < TRIES; i++) times.push(await timeToInteractive(cold));
    times.sort((a, b) => a - b);
    console.log(`time to interactive (${cold ? 'cold' : 'warm'} cache): p50 ${times[Math.floor(times.length / 2)].toFixed(0)} ms, max ${times[times.length - 1].toFixed(0)} ms`);
  }
  await context.close();
});
