import { expect, Page } from '@playwright/test';
import { GALLERY, hydrated, openPanel, person, ROOM, setUpRoom, signIn, test } from './helpers';

const GALLERY_PAGE = `/galleries/${GALLERY}`;
const ROOM_ENTRY = 'Video Production — Meeting room';

async function saveRoom(page: Page, enabled: boolean): Promise<void> {
  const saved = await page.request.put(`/api/containers/${GALLERY}/room`, {
    data: { enabled, mode: 'interactive', room_moderators: [], chat_moderators: [], qna: 'site_default', group_chat: true },
  });
  expect(saved.status()).toBe(200);
}

test('switching the room on lists it on the Media tab without a reload', async ({ page }) => {
  await signIn(page, 'teacher');
  await saveRoom(page, false);
  await page.goto(GALLERY_PAGE);
  await hydrated(page);
  await expect(page.getByRole('button', { name: 'Enter Room' })).toHaveCount(0);

  await saveRoom(page, true);
  // No reload: the page follows the server's change events.
  await expect(page.getByRole('button', { name: 'Enter Room' })).toBeVisible();
  const entry = page.getByRole('link', { name: ROOM_ENTRY, exact: true });
  await expect(entry).toBeVisible();
  await expect(entry).toHaveAttribute('href', ROOM);
  await expect(page.getByRole('link', { name: `Edit ${ROOM_ENTRY}` })).toBeVisible();
});

test('the gallery hydrates from a light bundle; the room\'s code arrives when the room is entered', async ({ page }) => {
  await signIn(page, 'teacher');
  await saveRoom(page, true);
  const wasm: { path: string; bytes: number }[] = [];
  page.on('response', async (response) => {
    const path = new URL(response.url()).pathname;
    if (path.endsWith('.wasm')) wasm.push({ path, bytes: (await response.request().sizes()).responseBodySize });
  });
  // A first visit: what the gallery needs comes over the network.
  const session = await page.context().newCDPSession(page);
  await session.send('Network.clearBrowserCache');
  await session.detach();
  await page.goto(GALLERY_PAGE);
  await hydrated(page);
  const gallery = [...wasm];
  expect(gallery.length).toBeGreaterThan(0);
  const galleryBytes = gallery.reduce((sum, file) => sum + file.bytes, 0);
  expect(galleryBytes, 'brotli WebAssembly before the gallery is interactive').toBeLessThanOrEqual(300 * 1024);

  await page.getByRole('button', { name: 'Enter Room' }).click();
  await expect(page.getByRole('button', { name: 'Join as viewer' })).toBeVisible();
  const roomOnly = wasm.filter((file) => !gallery.some((seen) => seen.path === file.path));
  expect(roomOnly.length, 'the room loaded code the gallery did not').toBeGreaterThan(0);
});

/**
 * Through a room socket of the teacher's own (as the room page's would): launch, join,
 * record for `seconds`, stop, end the session.
 */
async function recordFor(page: Page, seconds: number): Promise<string[]> {
  return page.evaluate(
    async ({ room, seconds }) => {
      const seen: string[] = [];
      const socket = new WebSocket(`${location.origin.replace('http', 'ws')}/api/rooms/${room}/ws?v=1`);
      const waitFor = (type: string, test: (m: any) => boolean = () => true) =>
        new Promise<any>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no ${type} (saw ${seen.join(', ')})`)), 15_000);
          const listener = (event: MessageEvent) => {
            const message = JSON.parse(event.data);
            seen.push(message.type);
            if (message.type === 'error') seen.push(`${message.code}: ${message.message}`);
            if (message.type === type && test(message)) {
              clearTimeout(timer);
              socket.removeEventListener('message', listener);
              resolve(message);
            }
          };
          socket.addEventListener('message', listener);
        });
      const welcome = await waitFor('welcome');
      if (!welcome.room.open) {
        socket.send(JSON.stringify({ type: 'launch' }));
        await waitFor('opened');
      }
      socket.send(JSON.stringify({ type: 'join', seat: 'viewer', media: { mic: false, camera: false, screen: false } }));
      await waitFor('joined');
      socket.send(JSON.stringify({ type: 'start_recording' }));
      await waitFor('recording', (m) => m.recording !== null);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      socket.send(JSON.stringify({ type: 'stop_recording' }));
      await waitFor('recording', (m) => m.recording === null);
      socket.send(JSON.stringify({ type: 'end_for_all' }));
      await waitFor('closed');
      return seen;
    },
    { room: GALLERY, seconds },
  );
}

test('a recording lands on the Media tab by itself and plays; an outsider is refused', async ({ browser, page }) => {
  await signIn(page, 'teacher');
  await setUpRoom(page, 'interactive');
  await page.goto(GALLERY_PAGE);
  await hydrated(page);
  const ready = page.getByRole('listitem').filter({ has: page.getByText('Ready', { exact: true }) });
  const before = await ready.count();

  await recordFor(page, 5);

  // Within the 10 seconds of Stop, listed as ready, with no reload by hand.
  await expect(ready).toHaveCount(before + 1, { timeout: 12_000 });
  const link = ready.first().getByRole('link', { name: /^Video Production — \d{4}-/ });
  const href = await link.getAttribute('href');
  expect(href).toMatch(/^\/media\/\d+$/);
  const title = (await link.textContent())!;

  // The session it came from is the newest on the Sessions tab, with the recording.
  await page.getByRole('tab', { name: 'Sessions' }).click();
  const newest = page.getByRole('table', { name: 'Past sessions' }).getByRole('row').nth(1);
  await expect(newest.getByRole('link', { name: title })).toHaveAttribute('href', href!);
  await newest.getByRole('link', { name: /^Session of / }).click();
  await expect(page.getByRole('heading', { level: 1, name: /^Session of / })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Backchannel' })).toBeVisible();
  await page.getByRole('link', { name: title }).click();
  await expect(page).toHaveURL(href!);
  await hydrated(page);

  const player = page.getByLabel(/^Play Video Production — /);
  await expect(player).toBeVisible();
  const played = await player.evaluate(async (element) => {
    const video = element as HTMLVideoElement;
    video.muted = true;
    await video.play();
    const start = video.currentTime;
    await new Promise<void>((resolve) => {
      const check = () => (video.currentTime > start + 1 ? resolve() : requestAnimationFrame(check));
      check();
    });
    return {
      controls: video.controls,
      duration: video.duration,
      currentTime: video.currentTime,
      frames: video.getVideoPlaybackQuality().totalVideoFrames,
    };
  });
  expect(played.controls).toBe(true);
  expect(played.duration).toBeGreaterThan(3);
  expect(played.duration).toBeLessThan(8);
  expect(played.currentTime).toBeGreaterThan(1);
  expect(played.frames).toBeGreaterThan(0);

  const outsider = await person(browser, 'outsider');
  const refused = await outsider.page.goto(href!);
  expect([403, 404]).toContain(refused!.status());
  await expect(outsider.page.getByText(/Play Video Production/)).toHaveCount(0);
  const file = await outsider.page.request.get(`${href}/file`);
  expect([403, 404]).toContain(file.status());
  await outsider.context.close();
});

test('a moderator added on the room entry gets moderator tools in the live room without rejoining', async ({ browser, page }) => {
  await signIn(page, 'teacher');
  await setUpRoom(page, 'interactive');
  await page.goto(ROOM);
  await hydrated(page);
  await page.getByRole('button', { name: 'Join as viewer' }).click();

  const student = await person(browser, 'student');
  await student.page.goto(ROOM);
  await hydrated(student.page);
  await student.page.getByRole('button', { name: 'Join as viewer' }).click();
  const controls = student.page.getByRole('toolbar', { name: 'Room controls' });
  await expect(controls).toBeVisible();
  await expect(controls.getByRole('button', { name: 'Moderate', exact: true })).toHaveCount(0);
  const studentChat = student.page.getByRole('complementary', { name: 'Chat' });
  await expect(studentChat.getByRole('tab', { name: 'Backchannel' })).toHaveCount(0);

  // The room entry's Roles & permissions tab, as its owner reaches it from the gallery page.
  const edit = await page.context().newPage();
  await edit.goto(GALLERY_PAGE);
  await hydrated(edit);
  await edit.getByRole('link', { name: `Edit ${ROOM_ENTRY}` }).click();
  await edit.getByRole('link', { name: 'Roles & permissions' }).click();
  await expect(edit.getByRole('heading', { name: 'Roles & permissions' })).toBeVisible();
  await hydrated(edit);
  await edit.getByRole('button', { name: 'Add users' }).click();
  await edit.getByRole('menuitem', { name: 'Moderators' }).click();
  const dialog = edit.getByRole('dialog', { name: 'Add moderators' });
  await dialog.getByRole('combobox', { name: 'Select users' }).fill('Sam');
  await dialog.getByRole('option', { name: /Sam Student/ }).click();
  await dialog.getByLabel('Room moderator').check();
  await dialog.getByRole('button', { name: 'Add' }).click();
  await expect(edit.getByRole('status')).toHaveText('Moderators added.');

  // Same page, same socket: the tools appear without leaving and rejoining.
  await expect(controls.getByRole('button', { name: 'Moderate', exact: true })).toBeVisible();
  await expect(studentChat.getByRole('tab', { name: 'Backchannel' })).toBeVisible();
  await openPanel(student.page, 'Moderate');
  // A room moderator still cannot open the entry's edit page.
  const entryId = new URL(edit.url()).pathname.match(/^\/media\/(\d+)\//)![1];
  expect((await student.page.request.get(`/api/media/${entryId}/roles`)).status()).toBe(403);
  const editPage = await student.page.request.get(`/media/${entryId}/edit/roles`);
  expect(editPage.status()).toBe(403);

  await student.context.close();
  await edit.close();
});
