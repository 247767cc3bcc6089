import { expect, Page } from '@playwright/test';
import { decodesGrowing, hydrated, person, ROOM, setUpRoom, signIn, test } from './helpers';

// Needs the server's test-only fault routes (TEST_FAULTS=1) and the supervisor in
// scripts/e2e.sh that starts a crashed server again.
test.describe.configure({ mode: 'serial' });

/**
 * Frames decoded by the page's subscribing connection, and whether that connection is still
 * the one the previous call saw (a rebuilt connection counts its frames from zero).
 */
async function decodedFrames(page: Page): Promise<{ frames: number; sameConnection: boolean }> {
  return page.evaluate(async () => {
    const w = window as any;
    const pc = w.meetingRoom?.subscriber as RTCPeerConnection | undefined;
    const sameConnection = pc !== undefined && pc === w.__e2eSeenSubscriber;
    w.__e2eSeenSubscriber = pc;
    let frames = 0;
    if (pc) {
      (await pc.getStats()).forEach((s: any) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded ?? 0;
      });
    }
    return { frames, sameConnection };
  });
}

/** Counts the room sockets a page opens (reconnection attempts included). */
function roomSockets(page: Page): { count: number } {
  const seen = { count: 0 };
  page.on('websocket', (socket) => {
    if (/\/api\/rooms\/\d+\/ws/.test(socket.url())) seen.count += 1;
  });
  return seen;
}

/** Keeps the page's current peer connections, to check later that they were closed. */
async function keepConnections(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as any;
    w.__e2eOld = { publisher: w.meetingRoom?.publisher, subscriber: w.meetingRoom?.subscriber };
  });
}

/** The kept connections that are neither closed nor replaced (should be none). */
async function connectionsLeftOpen(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const w = window as any;
    const left: string[] = [];
    for (const role of ['publisher', 'subscriber']) {
      const old = w.__e2eOld?.[role] as RTCPeerConnection | undefined;
      if (old && (old.connectionState !== 'closed' || w.meetingRoom?.[role] === old)) left.push(role);
    }
    return left;
  });
}

test('a media path cut for a few seconds heals without a click', async ({ browser, page }) => {
  test.setTimeout(90_000);
  await signIn(page, 'teacher');
  await setUpRoom(page, 'interactive');
  await page.goto(ROOM);
  await hydrated(page);
  await page.getByRole('button', { name: 'Join stage' }).click();
  await expect(page.getByRole('button', { name: 'Mute', exact: true })).toBeVisible();

  const student = await person(browser, 'student');
  await student.page.goto(ROOM);
  await hydrated(student.page);
  await student.page.getByRole('button', { name: 'Join as viewer' }).click();
  await expect(student.page.getByRole('list', { name: 'Stage' }).getByRole('listitem', { name: 'Tess Teacher' }))
    .toBeVisible();
  await decodesGrowing(student.page, "the student's page");

  const cut = await page.request.post('/api/test/faults/cut-media', { data: { user: 'teacher', seconds: 5 } });
  // The cut began before the answer: it is over by then + 5 s, and the video must be back
  // 5 s after that.
  const recoveredBy = Date.now() + 10_000;
  expect(cut.status(), 'the fault routes are mounted (TEST_FAULTS=1)').toBe(200);
  expect(await cut.json(), 'the teacher had media connections to cut').toBeGreaterThan(0);

  // The cut shows: between two samples the student's page decodes nothing.
  let stalledAt = -1;
  await expect
    .poll(
      async () => {
        const { frames, sameConnection } = await decodedFrames(student.page);
        const stalled = sameConnection && frames === stalledAt;
        stalledAt = frames;
        return stalled;
      },
      { message: "the student's video stalls during the cut", timeout: 4_500, intervals: [400] },
    )
    .toBe(true);

  // No click anywhere: the pages notice and heal (or the path simply comes back).
  let decodedSinceStall = 0;
  await expect
    .poll(
      async () => {
        const { frames, sameConnection } = await decodedFrames(student.page);
        decodedSinceStall = sameConnection ? decodedSinceStall + frames - stalledAt : frames;
        stalledAt = frames;
        return decodedSinceStall;
      },
      {
        message: "the student's page decodes the teacher's video again within 5 s of the cut's end",
        timeout: Math.max(recoveredBy - Date.now(), 1_000),
      },
    )
    .toBeGreaterThan(10);
  await expect(student.page.getByRole('alert')).toHaveCount(0);
  await student.context.close();
});

test('a cut the browsers notice: the pages rebuild their media connections by themselves', async ({ browser, page }) => {
  test.setTimeout(90_000);
  await signIn(page, 'teacher');
  await setUpRoom(page, 'interactive');
  await page.goto(ROOM);
  await hydrated(page);
  await page.getByRole('button', { name: 'Join stage' }).click();
  await expect(page.getByRole('button', { name: 'Mute', exact: true })).toBeVisible();

  const student = await person(browser, 'student');
  await student.page.goto(ROOM);
  await hydrated(student.page);
  await student.page.getByRole('button', { name: 'Join as viewer' }).click();
  await decodesGrowing(student.page, "the student's page");
  await keepConnections(page);
  await keepConnections(student.page);

  // Long enough for Chromium to call the connections disconnected (about 6 s) and for the
  // pages' grace (3 s) to run out while the cut lasts; the rebuilt connections wait for its end.
  const seconds = 15;
  for (const user of ['teacher', 'student']) {
    const cut = await page.request.post('/api/test/faults/cut-media', { data: { user, seconds } });
    expect(cut.status(), 'the fault routes are mounted (TEST_FAULTS=1)').toBe(200);
  }
  const recoveredBy = Date.now() + (seconds + 5) * 1_000;

  // Publisher rebuilt from the same tracks (restart), the receiving side replaced on both pages.
  for (const [who, one] of [['teacher', page], ['student', student.page]] as const) {
    await expect
      .poll(() => connectionsLeftOpen(one), {
        message: `the ${who}'s page replaced its media connections`,
        timeout: (seconds + 5) * 1_000,
      })
      .toEqual([]);
  }
  await decodedFrames(student.page);
  let decoded = 0;
  await expect
    .poll(
      async () => {
        const { frames, sameConnection } = await decodedFrames(student.page);
        decoded = sameConnection ? frames : 0;
        return decoded;
      },
      {
        message: "the student's rebuilt connection decodes the teacher's video within 5 s of the cut's end",
        timeout: Math.max(recoveredBy - Date.now(), 1_000),
      },
    )
    .toBeGreaterThan(10);
  await expect(student.page.getByRole('alert')).toHaveCount(0);
  await expect(page.getByRole('alert')).toHaveCount(0);
  await student.context.close();
});

test('after a server crash both pages come back by themselves, chat and video too', async ({ browser, page }) => {
  test.setTimeout(120_000);
  await signIn(page, 'teacher');
  await setUpRoom(page, 'interactive');
  const teacherSockets = roomSockets(page);
  await page.goto(ROOM);
  await hydrated(page);
  await page.getByRole('button', { name: 'Join stage' }).click();
  await expect(page.getByRole('button', { name: 'Mute', exact: true })).toBeVisible();

  const student = await person(browser, 'student');
  const studentSockets = roomSockets(student.page);
  await student.page.goto(ROOM);
  await hydrated(student.page);
  await student.page.getByRole('button', { name: 'Join as viewer' }).click();
  await expect(page.getByRole('region', { name: 'Viewers' })).toContainText('Sam Student');
  await decodesGrowing(student.page, "the student's page");

  // Chat is kept across sessions: this run's lines must not match an earlier run's.
  const run = Date.now().toString(36);
  const before = `Said before the crash ${run}`;
  const after = `Said after the crash ${run}`;
  const teacherChat = page.getByRole('complementary', { name: 'Chat' });
  const studentChat = student.page.getByRole('complementary', { name: 'Chat' });
  await studentChat.getByRole('textbox', { name: 'Message' }).fill(before);
  await studentChat.getByRole('button', { name: 'Send' }).click();
  await expect(teacherChat.getByRole('list', { name: 'Messages' })).toContainText(before);

  await keepConnections(page);
  await keepConnections(student.page);
  const socketsBefore = { teacher: teacherSockets.count, student: studentSockets.count };
  const crash = await page.request.post('/api/test/faults/crash', { timeout: 5_000 }).then(
    (response) => `answered ${response.status()}`,
    () => 'no answer',
  );
  expect(crash, 'the server died without answering (TEST_FAULTS=1)').toBe('no answer');
  // scripts/e2e.sh starts it again on the same database and port.
  await expect
    .poll(async () => (await page.request.get('/healthz').catch(() => undefined))?.status(), {
      message: 'the server is back',
      timeout: 30_000,
    })
    .toBe(200);

  for (const [who, one, sockets, opened] of [
    ['teacher', page, teacherSockets, socketsBefore.teacher],
    ['student', student.page, studentSockets, socketsBefore.student],
  ] as const) {
    await expect
      .poll(() => sockets.count, { message: `the ${who}'s page reconnects by itself`, timeout: 30_000 })
      .toBeGreaterThan(opened);
    // "Reconnecting…" goes once the page has joined again; nothing ended the page.
    await expect(one.getByRole('alert'), `the ${who}'s page rejoined`).toHaveCount(0, { timeout: 30_000 });
    await expect(one.getByRole('button', { name: 'Leave', exact: true })).toBeVisible();
    expect(await connectionsLeftOpen(one), `the ${who}'s old peer connections are closed`).toEqual([]);
  }
  // Back in the same seats, without Set devices.
  await expect(page.getByRole('button', { name: 'Mute', exact: true })).toBeVisible();
  for (const one of [page, student.page]) {
    const people = one.getByRole('complementary', { name: 'Participants' });
    await expect(people.getByRole('region', { name: 'Stage' })).toContainText('Tess Teacher');
    await expect(people.getByRole('region', { name: 'Viewers' })).toContainText('Sam Student');
  }

  // The earlier message is there once (the replayed history replaces what the page had).
  for (const chat of [teacherChat, studentChat]) {
    await expect(chat.getByRole('listitem').filter({ hasText: before })).toHaveCount(1);
  }
  await teacherChat.getByRole('textbox', { name: 'Message' }).fill(after);
  await teacherChat.getByRole('button', { name: 'Send' }).click();
  await expect(studentChat.getByRole('list', { name: 'Messages' })).toContainText(after);

  // The teacher publishes again and the student subscribes again.
  await decodesGrowing(student.page, "the student's page after the restart");
  await student.context.close();
});
