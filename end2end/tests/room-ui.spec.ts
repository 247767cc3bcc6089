import AxeBuilder from '@axe-core/playwright';
import { BrowserContextOptions, expect, Page } from '@playwright/test';
import { decodesGrowing, hydrated, openPanel, person, ROOM, setUpRoom, signIn, test } from './helpers';

test.describe.configure({ mode: 'serial' });

const LAPTOP: BrowserContextOptions = { viewport: { width: 1366, height: 800 } };
const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
  userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36',
};
const SHOTS = 'results/screenshots';

/** Serious and critical WCAG 2.1 A/AA findings of axe on the page as it is now. */
async function seriousFindings(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** The largest frame width the page publishes (its top simulcast layer). */
async function publishedTopWidth(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const pc = (window as any).meetingRoom?.publisher as RTCPeerConnection | undefined;
    let widest = 0;
    if (pc) (await pc.getStats()).forEach((s: any) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video') widest = Math.max(widest, s.frameWidth ?? 0);
    });
    return widest;
  });
}

async function decodedWidth(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const pc = (window as any).meetingRoom?.subscriber as RTCPeerConnection | undefined;
    let widest = 0;
    if (pc) (await pc.getStats()).forEach((s: any) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') widest = Math.max(widest, s.frameWidth ?? 0);
    });
    return widest;
  });
}

/** Seconds the page's inbound video has spent frozen so far (Chromium's freeze detector). */
async function frozenSeconds(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const pc = (window as any).meetingRoom?.subscriber as RTCPeerConnection | undefined;
    let frozen = 0;
    if (pc) (await pc.getStats()).forEach((s: any) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') frozen += s.totalFreezesDuration ?? 0;
    });
    return frozen;
  });
}

async function joinStage(page: Page): Promise<void> {
  await page.goto(ROOM);
  await hydrated(page);
  await page.getByRole('button', { name: 'Join stage' }).click();
  await expect(page.getByRole('button', { name: 'Mute', exact: true })).toBeVisible();
}

async function joinAsViewer(page: Page): Promise<void> {
  await page.goto(ROOM);
  await hydrated(page);
  await page.getByRole('button', { name: 'Join as viewer' }).click();
  await expect(page.getByRole('toolbar', { name: 'Room controls' })).toBeVisible();
}

function tile(page: Page, name: string) {
  return page.getByRole('list', { name: 'Stage' }).getByRole('listitem', { name, exact: true });
}

test('on a laptop the stage fills the window, the tile asks for the top layer, shortcuts and toasts work', async ({ browser, page }) => {
  test.setTimeout(120_000);
  await signIn(page, 'teacher');
  await setUpRoom(page, 'interactive');

  const teacher = await person(browser, 'teacher', LAPTOP);
  await teacher.page.goto(ROOM);
  await hydrated(teacher.page);
  await expect(teacher.page.getByRole('heading', { name: 'Set devices' })).toBeVisible();
  expect(await seriousFindings(teacher.page), 'axe: Set devices').toEqual([]);
  await teacher.page.getByRole('button', { name: 'Join stage' }).click();
  await expect(teacher.page.getByRole('button', { name: 'Mute', exact: true })).toBeVisible();
  // The site header steps aside; the room bar names the room.
  await expect(teacher.page.getByRole('navigation', { name: 'Account' })).toBeHidden();
  await expect(teacher.page.getByRole('heading', { name: 'Video Production meeting room' })).toBeVisible();
  // Alone on stage, one's own video is the stage.
  await expect
    .poll(async () => (await tile(teacher.page, 'Tess Teacher (you)').boundingBox())?.width, {
      message: 'alone on stage: the self-view fills the stage',
    })
    .toBeGreaterThan(1366 * 0.6);

  const student = await person(browser, 'student', LAPTOP);
  await joinAsViewer(student.page);
  const speaker = tile(student.page, 'Tess Teacher');
  await expect(speaker).toBeVisible();
  // Tiles glide to their place (a quarter second): measure where they settle.
  await expect
    .poll(async () => (await speaker.boundingBox())?.width, { message: 'the lone speaker covers most of the window' })
    .toBeGreaterThanOrEqual(1366 * 0.6);
  const box = await speaker.boundingBox();
  expect(Math.abs(box!.width / box!.height - 16 / 9)).toBeLessThan(0.02);
  await decodesGrowing(student.page, "the student's page");
  // With the speaker in others' view, the teacher's own tile becomes a small self-view.
  await expect(tile(teacher.page, 'Tess Teacher (you)')).toBeVisible();
  // A large tile gets the publisher's top layer.
  await expect.poll(() => publishedTopWidth(teacher.page), { message: 'the teacher publishes' }).toBeGreaterThan(0);
  const top = await publishedTopWidth(teacher.page);
  await expect
    .poll(() => decodedWidth(student.page), { message: `the student decodes the top layer (${top} px)`, timeout: 20_000 })
    .toBe(top);
  expect(await seriousFindings(student.page), 'axe: live room (laptop)').toEqual([]);
  await student.page.screenshot({ path: `${SHOTS}/laptop-1-on-stage.png` });

  // A small window makes the tile small: a lower layer comes, without a freeze, and the top
  // layer comes back with the space.
  const frozenBefore = await frozenSeconds(student.page);
  await student.page.setViewportSize({ width: 480, height: 360 });
  await expect
    .poll(() => decodedWidth(student.page), { message: 'a small tile gets a lower layer', timeout: 20_000 })
    .toBeLessThan(top);
  await decodesGrowing(student.page, "the student's page on the lower layer");
  expect(await frozenSeconds(student.page) - frozenBefore, 'seconds frozen by the switch').toBeLessThan(1);
  await student.page.setViewportSize(LAPTOP.viewport!);
  await expect
    .poll(() => decodedWidth(student.page), { message: 'the top layer comes back', timeout: 20_000 })
    .toBe(top);

  // Keyboard: M mutes and unmutes.
  await teacher.page.locator('body').press('m');
  await expect(teacher.page.getByRole('button', { name: 'Unmute', exact: true })).toBeVisible();
  await expect(student.page.getByRole('complementary', { name: 'Participants' }).getByRole('listitem', { name: 'Tess Teacher' }))
    .toContainText('mic off');
  await teacher.page.locator('body').press('m');
  await expect(teacher.page.getByRole('button', { name: 'Mute', exact: true })).toBeVisible();
  // Typing in the chat is never taken for a shortcut.
  await teacher.page.getByRole('textbox', { name: 'Message' }).fill('my message');
  await expect(teacher.page.getByRole('button', { name: 'Mute', exact: true })).toBeVisible();

  // A raised hand is noticed: a toast for the moderator, announced politely.
  await student.page.getByRole('button', { name: 'Raise hand' }).click();
  await expect(teacher.page.getByRole('status').filter({ hasText: 'Sam Student raised their hand' })).toBeVisible();
  // The toasts sit above the control bar, never over it.
  const toast = await teacher.page.getByText('Sam Student raised their hand').boundingBox();
  const bar = await teacher.page.getByRole('toolbar', { name: 'Room controls' }).boundingBox();
  expect(toast!.y + toast!.height).toBeLessThanOrEqual(bar!.y);

  // Moderator tools and reactions live in small menus of the control bar.
  await openPanel(teacher.page, 'Moderate');
  await expect(teacher.page.getByRole('combobox', { name: 'Stage access' })).toBeVisible();
  await teacher.page.keyboard.press('Escape');
  await expect(teacher.page.getByRole('combobox', { name: 'Stage access' })).toBeHidden();
  await openPanel(student.page, 'Reactions');
  await student.page.getByRole('button', { name: 'Applause' }).click();
  await expect(teacher.page.getByRole('list', { name: 'Reactions' }).getByRole('listitem', { name: 'Applause from Sam Student' }))
    .toBeVisible();
  for (const one of [teacher, student]) await one.context.close();
});

test('on a phone the viewer sees the speaker across the screen and the camera stays off', async ({ browser, page }) => {
  test.setTimeout(90_000);
  await signIn(page, 'teacher');
  await setUpRoom(page, 'interactive');
  const teacher = await person(browser, 'teacher', LAPTOP);
  await joinStage(teacher.page);

  const phone = await person(browser, 'student', PHONE);
  // Count camera and microphone requests: a phone viewer never opens them.
  await phone.page.addInitScript(() => {
    (window as any).userMediaCalls = 0;
    const devices = navigator.mediaDevices;
    const original = devices.getUserMedia.bind(devices);
    devices.getUserMedia = (constraints?: MediaStreamConstraints) => {
      (window as any).userMediaCalls += 1;
      return original(constraints);
    };
  });
  await phone.page.goto(ROOM);
  await hydrated(phone.page);
  await expect(phone.page.getByRole('heading', { name: 'Set devices' })).toBeVisible();
  expect(await seriousFindings(phone.page), 'axe: Set devices (phone)').toEqual([]);
  await phone.page.getByRole('button', { name: 'Join as viewer' }).click();
  const speaker = tile(phone.page, 'Tess Teacher');
  await expect(speaker).toBeVisible();
  await expect
    .poll(async () => (await speaker.boundingBox())?.width, { message: 'the speaker spans the phone' })
    .toBeGreaterThanOrEqual(390 * 0.9);
  await decodesGrowing(phone.page, "the phone's page");
  expect(await phone.page.evaluate(() => (window as any).userMediaCalls), 'camera requests').toBe(0);
  // The control bar stays at the bottom of the screen, inside it.
  const bar = await phone.page.getByRole('toolbar', { name: 'Room controls' }).boundingBox();
  expect(bar!.y + bar!.height).toBeLessThanOrEqual(844 + 1);
  expect(bar!.y).toBeGreaterThan(844 / 2);
  // Panels open as a sheet, one at a time.
  await phone.page.getByRole('button', { name: /^Chat/ }).click();
  await expect(phone.page.getByRole('complementary', { name: 'Chat' })).toBeVisible();
  await expect(phone.page.getByRole('complementary', { name: 'Participants' })).toHaveCount(0);
  expect(await seriousFindings(phone.page), 'axe: live room (phone)').toEqual([]);
  await phone.page.screenshot({ path: `${SHOTS}/phone-chat.png` });
  await phone.page.getByRole('button', { name: 'Close chat' }).click();
  await phone.page.screenshot({ path: `${SHOTS}/phone-1-on-stage.png` });
  for (const one of [teacher, phone]) await one.context.close();
});

test('a constrained link moves the viewer to a lower layer, and the top layer returns with the link', async ({ browser, page }) => {
  test.setTimeout(120_000);
  await signIn(page, 'teacher');
  await setUpRoom(page, 'interactive');
  const teacher = await person(browser, 'teacher', LAPTOP);
  await joinStage(teacher.page);
  const student = await person(browser, 'student', LAPTOP);
  await joinAsViewer(student.page);
  await decodesGrowing(student.page, "the student's page");
  await expect.poll(() => publishedTopWidth(teacher.page), { message: 'the teacher publishes' }).toBeGreaterThan(0);
  const top = await publishedTopWidth(teacher.page);
  await expect
    .poll(() => decodedWidth(student.page), { message: `the student decodes the top layer (${top} px)`, timeout: 20_000 })
    .toBe(top);

  const limit = async (kbps: number | null) => {
    const response = await page.request.post('/api/test/faults/limit-downlink', { data: { user: 'student', kbps } });
    expect(response.status()).toBe(200);
    expect(await response.json(), "the student's connections").toBeGreaterThan(0);
  };
  try {
    // Less than the top layer carries, more than the one under it.
    await limit(400);
    await expect
      .poll(() => decodedWidth(student.page), { message: 'a lower layer under the constraint', timeout: 30_000 })
      .toBeLessThan(top);
    await decodesGrowing(student.page, "the student's page on the constrained link");
  } finally {
    await limit(null);
  }
  await expect
    .poll(() => decodedWidth(student.page), { message: 'the top layer once the link recovers', timeout: 30_000 })
    .toBe(top);
  await decodesGrowing(student.page, "the student's page after the recovery");
  for (const one of [teacher, student]) await one.context.close();
});

test('four people on stage share it in a grid', async ({ browser, page }) => {
  test.setTimeout(240_000);
  await signIn(page, 'teacher');
  await setUpRoom(page, 'interactive');
  const viewer = await person(browser, 'teacher', LAPTOP);
  await joinAsViewer(viewer.page);
  const tiles = viewer.page.getByRole('list', { name: 'Stage' }).getByRole('listitem');
  // Load-test users (scripts/e2e.sh seeds them) are members of this gallery through their group.
  const people: { context: { close(): Promise<void> }; page: Page }[] = [];
  // Four publishing pages are what this 2-core machine's Chromium encodes without starving the
  // pages themselves; the layout's own rules for up to 25 are unit tests (layout.rs).
  for (let n = 1; n <= 4; n++) {
    const one = await person(browser, `load${n}`, { viewport: { width: 480, height: 360 } });
    await joinStage(one.page);
    people.push(one);
    if (n === 4) {
      await expect(tiles).toHaveCount(n);
      // Let the tiles glide to their places before measuring: with five Chromiums encoding
      // on two cores a page may paint a few frames a second, and the glide takes that long.
      await expect.poll(async () => {
        const widths = await Promise.all((await tiles.all()).map(async (t) => (await t.boundingBox())?.width ?? 0));
        return Math.max(...widths) - Math.min(...widths);
      }, { timeout: 30_000 }).toBeLessThan(2);
      const boxes = await Promise.all((await tiles.all()).map((t) => t.boundingBox()));
      // Equal 16:9 tiles in a grid.
      for (const b of boxes) {
        expect(Math.abs(b!.width - boxes[0]!.width)).toBeLessThan(2);
        expect(Math.abs(b!.width / b!.height - 16 / 9)).toBeLessThan(0.02);
      }
      await viewer.page.screenshot({ path: `${SHOTS}/laptop-${n}-on-stage.png` });
    }
  }
  expect(await seriousFindings(viewer.page), 'axe: live room with four on stage').toEqual([]);
  for (const one of [...people, viewer]) await one.context.close();
});
