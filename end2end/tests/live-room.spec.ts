import { expect, Page } from '@playwright/test';
import { decodesGrowing, endForAll, hydrated, inboundVideo, person, ROOM, setUpRoom, signIn, test } from './helpers';

test.describe.configure({ mode: 'serial' });

/** Bytes this page sends as media (outbound-rtp of any of its connections). */
async function outboundBytes(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const room = (window as any).meetingRoom ?? {};
    let sent = 0;
    for (const pc of [room.publisher, room.subscriber] as (RTCPeerConnection | undefined)[]) {
      if (!pc) continue;
      (await pc.getStats()).forEach((s: any) => {
        if (s.type === 'outbound-rtp') sent += s.bytesSent ?? 0;
      });
    }
    return sent;
  });
}


test('a member waits, the teacher launches and speaks, the member watches and decodes', async ({ browser, page }) => {
  test.setTimeout(90_000);
  await signIn(page, 'teacher');
  await setUpRoom(page, 'interactive');

  const student = await person(browser, 'student');
  await student.page.goto(ROOM);
  await hydrated(student.page);
  await expect(student.page.getByText('The room opens when a moderator starts it.')).toBeVisible();

  const teacher = await person(browser, 'teacher');
  await teacher.page.goto(ROOM);
  await hydrated(teacher.page);
  await expect(teacher.page.getByRole('heading', { name: 'Set devices' })).toBeVisible();
  await expect(teacher.page.getByLabel('Camera', { exact: true })).toBeVisible();
  await expect(teacher.page.getByRole('meter', { name: 'Microphone level' })).toBeVisible();
  // The fake microphone beeps: the meter moves.
  await expect
    .poll(async () => Number(await teacher.page.getByRole('meter', { name: 'Microphone level' }).getAttribute('aria-valuenow')))
    .toBeGreaterThan(0);
  await teacher.page.getByRole('button', { name: 'Join stage' }).click();
  await expect(teacher.page.getByRole('complementary', { name: 'Participants' }).getByRole('region', { name: 'Stage' }))
    .toContainText('Tess Teacher');

  // The waiting student got in by themselves: Set devices, then the audience.
  await expect(student.page.getByRole('heading', { name: 'Set devices' })).toBeVisible();
  await student.page.getByRole('button', { name: 'Join as viewer' }).click();
  const studentStage = student.page.getByRole('list', { name: 'Stage' });
  await expect(studentStage.getByRole('listitem', { name: 'Tess Teacher' })).toBeVisible();
  await decodesGrowing(student.page, "the student's page");
  expect(await outboundBytes(student.page), 'a viewer sends no media').toBe(0);
  expect(await student.page.evaluate(() => (window as any).meetingRoom?.publisher)).toBeUndefined();
  await expect(student.page.getByRole('region', { name: 'Viewers' })).toContainText('Sam Student');

  // A second person on stage shows in both grids, and the teacher decodes them.
  const second = await person(browser, 'student2');
  await second.page.goto(ROOM);
  await hydrated(second.page);
  await second.page.getByRole('button', { name: 'Join stage' }).click();
  await expect(teacher.page.getByRole('list', { name: 'Stage' }).getByRole('listitem', { name: 'Sky Student' })).toBeVisible();
  await expect(studentStage.getByRole('listitem', { name: 'Sky Student' })).toBeVisible();
  await decodesGrowing(teacher.page, "the teacher's page");
  await expect(second.page.getByRole('list', { name: 'Stage' }).getByRole('listitem', { name: 'Tess Teacher' })).toBeVisible();
  expect(await outboundBytes(second.page), 'a stage participant sends media').toBeGreaterThan(0);

  // The viewer steps onto the stage from inside the room: the teacher sees and decodes them.
  await student.page.getByRole('button', { name: 'Join stage' }).click();
  await expect(student.page.getByRole('region', { name: 'Stage' })).toContainText('Sam Student');
  await expect(teacher.page.getByRole('list', { name: 'Stage' }).getByRole('listitem', { name: 'Sam Student' })).toBeVisible();
  await expect.poll(() => outboundBytes(student.page), { message: 'the student now sends media' }).toBeGreaterThan(0);
  // Stopping the camera shows on the others' participant lists at once.
  await student.page.getByRole('button', { name: 'Stop camera' }).click();
  await expect(teacher.page.getByRole('region', { name: 'Stage' }).getByRole('listitem').filter({ hasText: 'Sam Student' }))
    .toContainText('camera off');

  // End session for all: everyone gets the message.
  await endForAll(teacher.page);
  await expect(student.page.getByRole('alert')).toContainText('A moderator ended the session for everyone.');
  await expect(second.page.getByRole('alert')).toContainText('A moderator ended the session for everyone.');

  for (const one of [student, teacher, second]) await one.context.close();
});

test('in a Webinar only moderators are offered the stage', async ({ browser, page }) => {
  await signIn(page, 'teacher');
  await setUpRoom(page, 'webinar');
  await page.goto(ROOM);
  await hydrated(page);
  await expect(page.getByRole('button', { name: 'Join stage' })).toBeEnabled();

  const student = await person(browser, 'student');
  await student.page.goto(ROOM);
  await hydrated(student.page);
  await expect(student.page.getByRole('heading', { name: 'Set devices' })).toBeVisible();
  await expect(student.page.getByText('The stage is for presenters in this room: you join as a viewer.')).toBeVisible();
  await expect(student.page.getByRole('button', { name: 'Join stage' })).toHaveCount(0);
  await student.page.getByRole('button', { name: 'Join as viewer' }).click();
  await expect(student.page.getByRole('region', { name: 'Viewers' })).toContainText('Sam Student');
  await expect(student.page.getByRole('button', { name: 'Join stage' })).toHaveCount(0);
  await student.context.close();
});

test('a dropped connection rejoins by itself and the video comes back', async ({ browser, page }) => {
  await signIn(page, 'teacher');
  await setUpRoom(page, 'interactive');
  await page.goto(ROOM);
  await hydrated(page);
  await page.getByRole('button', { name: 'Join stage' }).click();

  const student = await person(browser, 'student');
  // Every room socket of the student's page goes through this proxy, so the test can cut one.
  const sockets: { close: () => Promise<void> }[] = [];
  await student.page.routeWebSocket(/\/api\/rooms\/\d+\/ws/, (ws) => {
    ws.connectToServer();
    sockets.push(ws);
  });
  await student.page.goto(ROOM);
  await hydrated(student.page);
  await student.page.getByRole('button', { name: 'Join as viewer' }).click();
  await decodesGrowing(student.page, "the student's page");

  await sockets[sockets.length - 1].close();
  await expect(student.page.getByRole('alert')).toContainText('Reconnecting');
  await expect(student.page.getByRole('alert')).toHaveCount(0, { timeout: 15_000 });
  expect(sockets.length).toBeGreaterThan(1);
  await expect(page.getByRole('region', { name: 'Viewers' })).toContainText('Sam Student');
  await decodesGrowing(student.page, "the student's page after reconnecting");
  await student.context.close();
});

test('people chat in the room, moderators delete and keep a backchannel', async ({ browser, page }) => {
  await signIn(page, 'teacher');
  await setUpRoom(page, 'interactive');
  await page.goto(ROOM);
  await hydrated(page);
  await page.getByRole('button', { name: 'Join as viewer' }).click();

  const student = await person(browser, 'student');
  await student.page.goto(ROOM);
  await hydrated(student.page);
  await student.page.getByRole('button', { name: 'Join as viewer' }).click();
  const studentChat = student.page.getByRole('complementary', { name: 'Chat' });
  await expect(studentChat.getByRole('tab', { name: 'Backchannel' })).toHaveCount(0);
  await studentChat.getByRole('textbox', { name: 'Message' }).fill('Hello <b>from</b> Sam');
  await studentChat.getByRole('button', { name: 'Send' }).click();

  const teacherChat = page.getByRole('complementary', { name: 'Chat' });
  const line = teacherChat.getByRole('listitem').filter({ hasText: 'Hello <b>from</b> Sam' });
  await expect(line).toContainText('Sam Student');

  await teacherChat.getByRole('tab', { name: 'Backchannel' }).click();
  await teacherChat.getByRole('textbox', { name: 'Message' }).fill('Shall we start?');
  await teacherChat.getByRole('button', { name: 'Send' }).click();
  await expect(teacherChat.getByRole('list', { name: 'Messages' })).toContainText('Shall we start?');
  await expect(studentChat.getByRole('list', { name: 'Messages' })).not.toContainText('Shall we start?');

  await teacherChat.getByRole('tab', { name: 'Chat' }).click();
  await line.getByRole('button', { name: 'Delete' }).click();
  await expect(studentChat.getByRole('list', { name: 'Messages' })).not.toContainText('Hello');
  await student.context.close();
});
