import { Browser, BrowserContext, BrowserContextOptions, expect, Page, test as base } from '@playwright/test';

/**
 * `test` that fails on any uncaught error in the page (a hydration panic among them), so a
 * page that looks right but is dead in the browser cannot pass.
 */
export const test = base.extend<{ pageErrors: string[] }>({
  pageErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      watchForPanics(page, errors);
      await use(errors);
      expect(errors, 'uncaught errors in the page').toEqual([]);
    },
    { auto: true },
  ],
});

/** Collects the WebAssembly app's panics (logged to the console before the module traps). */
export function watchForPanics(page: Page, into: string[]): void {
  page.on('console', (message) => {
    if (message.type() === 'error' && message.text().includes('panicked at')) into.push(message.text().slice(0, 500));
  });
}

/** Waits until the WebAssembly app has taken over the server-rendered page. */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

/** Signs in through the real form, as a person would. */
export async function signIn(page: Page, username: string, next = '/'): Promise<void> {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await hydrated(page);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(next);
}

// The "Video Production" gallery: teacher manages it, both students are members.
export const GALLERY = 2;
export const ROOM = `/rooms/${GALLERY}`;

/** A signed-in person in their own browser context (own cookies, own fake devices). */
export async function person(
  browser: Browser,
  username: string,
  options: BrowserContextOptions = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.on('pageerror', (error) => {
    throw new Error(`${username}'s page: ${error.message}`);
  });
  await signIn(page, username);
  return { context, page };
}

/** Through the API the Meeting room tab uses (as its manager): the room on, in `mode`. */
export async function setUpRoom(page: Page, mode: 'interactive' | 'webinar'): Promise<void> {
  // Off and on again: whatever session an earlier test left open ends, so each test starts
  // with a closed room.
  for (const enabled of [false, true]) {
    const saved = await page.request.put(`/api/containers/${GALLERY}/room`, {
      data: { enabled, mode, room_moderators: [], chat_moderators: [], qna: 'site_default', group_chat: true },
    });
    expect(saved.status()).toBe(200);
  }
  await clearRoomEntryModerators(page);
}

/** Moderators an earlier test added on the room entry's Roles & permissions are taken off. */
async function clearRoomEntryModerators(page: Page): Promise<void> {
  // Ids are read from the page's HTML as text: they exceed JavaScript's exact integers.
  const html = await (await page.request.get(`/galleries/${GALLERY}`)).text();
  const roomId = html.match(/href="\/media\/(\d+)\/edit" aria-label="Edit [^"]* — Meeting room"/)?.[1];
  expect(roomId, 'the enabled room is an entry of the gallery').toBeTruthy();
  const roles = await page.request.get(`/api/media/${roomId}/roles`);
  expect(roles.status()).toBe(200);
  const text = await roles.text();
  const moderators = text.slice(text.indexOf('"moderators"'));
  for (const [, kind, id] of moderators.matchAll(/"kind":"(user|group)","id":(\d+)/g)) {
    const removed = await page.request.delete(`/api/media/${roomId}/moderators/${kind}/${id}`);
    expect(removed.status()).toBe(200);
  }
}

/** What the page's subscribing connection reports through the browser's own getStats(). */
export async function inboundVideo(page: Page): Promise<{ framesDecoded: number; bytesReceived: number }> {
  return page.evaluate(async () => {
    const pc = (window as any).meetingRoom?.subscriber as RTCPeerConnection | undefined;
    let framesDecoded = 0;
    let bytesReceived = 0;
    if (pc) {
      (await pc.getStats()).forEach((s: any) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') {
          framesDecoded += s.framesDecoded ?? 0;
          bytesReceived += s.bytesReceived ?? 0;
        }
      });
    }
    return { framesDecoded, bytesReceived };
  });
}

export async function decodesGrowing(page: Page, label: string): Promise<void> {
  await expect
    .poll(async () => (await inboundVideo(page)).framesDecoded, { message: `${label} decodes video`, timeout: 20_000 })
    .toBeGreaterThan(0);
  const before = (await inboundVideo(page)).framesDecoded;
  await expect
    .poll(async () => (await inboundVideo(page)).framesDecoded, { message: `${label} keeps decoding`, timeout: 10_000 })
    .toBeGreaterThan(before + 10);
}

/** Opens one of the control bar's small panels (Reactions, Moderate, Leave) unless it is open. */
export async function openPanel(page: Page, name: string): Promise<void> {
  const button = page.getByRole('toolbar', { name: 'Room controls' }).getByRole('button', { name, exact: true });
  if ((await button.getAttribute('aria-expanded')) !== 'true') await button.click();
}

/** A room moderator ends the session for everyone (in the Leave menu). */
export async function endForAll(page: Page): Promise<void> {
  await openPanel(page, 'Leave');
  await page.getByRole('button', { name: 'End session for all' }).click();
}
