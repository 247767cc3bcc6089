import { expect, Page } from '@playwright/test';
import { decodesGrowing, endForAll, hydrated, openPanel, person, ROOM, setUpRoom, signIn, test } from './helpers';

test.describe.configure({ mode: 'serial' });

async function enterAsViewer(page: Page): Promise<void> {
  await page.goto(ROOM);
  await hydrated(page);
  await page.getByRole('button', { name: 'Join as viewer' }).click();
  await expect(page.getByRole('toolbar', { name: 'Room controls' })).toBeVisible();
}

test('a viewer raises a hand, the moderator invites them and their camera reaches the stage', async ({ browser, page }) => {
  test.setTimeout(90_000);
  await signIn(page, 'teacher');
  await setUpRoom(page, 'interactive');
  await page.goto(ROOM);
  await hydrated(page);
  await page.getByRole('button', { name: 'Join stage' }).click();
  await openPanel(page, 'Moderate');
  await page.getByRole('combobox', { name: 'Stage access' }).selectOption('invitation');

  const student = await person(browser, 'student');
  await enterAsViewer(student.page);
  // By invitation only: nobody offers the student the stage.
  await expect(student.page.getByRole('button', { name: 'Join stage' })).toHaveCount(0);
  await expect(student.page.getByRole('button', { name: 'Ask to join the stage' })).toHaveCount(0);

  await student.page.getByRole('button', { name: 'Raise hand' }).click();
  await expect(student.page.getByRole('button', { name: 'Lower hand' })).toBeVisible();
  const hands = page.getByRole('region', { name: 'Raised hands' });
  await expect(hands).toContainText('Sam Student');
  await expect(page.getByRole('region', { name: 'Viewers' }).getByRole('listitem', { name: 'Sam Student' }))
    .toContainText('hand raised (#1)');

  // A reaction shows over the teacher's stage with who sent it.
  await openPanel(student.page, 'Reactions');
  await student.page.getByRole('button', { name: 'Applause' }).click();
  await expect(page.getByRole('list', { name: 'Reactions' }).getByRole('listitem', { name: 'Applause from Sam Student' }))
    .toBeVisible();

  await hands.getByRole('button', { name: 'Invite Sam Student to the stage' }).click();
  const invitation = student.page.getByRole('alertdialog', { name: 'Invitation to the stage' });
  await expect(invitation).toContainText('A moderator invited you to the stage.');
  await invitation.getByRole('button', { name: 'Join the stage' }).click();

  // The student's camera appears in the teacher's grid and the teacher's browser decodes it.
  await expect(page.getByRole('list', { name: 'Stage' }).getByRole('listitem', { name: 'Sam Student' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Raised hands' })).toHaveCount(0);
  await decodesGrowing(page, "the teacher's page");
  await expect(student.page.getByRole('button', { name: 'Raise hand' })).toBeVisible();

  // The moderator mutes them and then removes them from the room for this session.
  const studentRow = page.getByRole('region', { name: 'Stage', exact: true }).getByRole('listitem', { name: 'Sam Student' });
  await expect(studentRow).toContainText('mic on');
  await studentRow.getByRole('button', { name: 'Mute Sam Student' }).click();
  await expect(student.page.getByRole('alert')).toContainText('A moderator muted your microphone.');
  await expect(student.page.getByRole('button', { name: 'Unmute' })).toBeVisible();
  await expect(studentRow).toContainText('mic off');
  await studentRow.getByRole('button', { name: 'Remove from the room: Sam Student' }).click();
  await expect(student.page.getByRole('alert')).toContainText('A moderator removed you from this session.');
  await expect(page.getByRole('complementary', { name: 'Participants' })).not.toContainText('Sam Student');
  await student.page.goto(ROOM);
  await hydrated(student.page);
  await student.page.getByRole('button', { name: 'Join as viewer' }).click();
  await expect(student.page.getByRole('alert')).toContainText('A moderator removed you from this session.');
  // A new session admits them again.
  await endForAll(page);
  await expect(page.getByRole('alert')).toContainText('A moderator ended the session for everyone.');
  await page.goto(ROOM);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Set devices' })).toBeVisible();
  await enterAsViewer(student.page);
  await student.context.close();
});

test('a question is answered and upvoted, and a poll runs', async ({ browser, page }) => {
  await signIn(page, 'teacher');
  await setUpRoom(page, 'interactive');
  await enterAsViewer(page);
  const student = await person(browser, 'student');
  await enterAsViewer(student.page);
  const other = await person(browser, 'student2');
  await enterAsViewer(other.page);

  const qna = (p: Page) => p.getByRole('complementary', { name: 'Chat' });
  for (const p of [page, student.page, other.page]) await qna(p).getByRole('tab', { name: 'Q&A' }).click();

  await qna(student.page).getByLabel('Your question').fill('Will the slides be shared?');
  await qna(student.page).getByRole('button', { name: 'Ask' }).click();
  const teacherQuestion = qna(page).getByRole('listitem', { name: 'Will the slides be shared?' });
  await expect(teacherQuestion).toContainText('Private');
  await expect(qna(other.page).getByRole('list', { name: 'Questions' })).not.toContainText('slides');

  await teacherQuestion.getByRole('textbox', { name: 'Reply' }).fill('Yes, after class.');
  await teacherQuestion.getByRole('button', { name: 'Reply' }).click();
  await expect(qna(student.page).getByRole('listitem', { name: 'Will the slides be shared?' })).toContainText('Yes, after class.');
  await teacherQuestion.getByRole('button', { name: 'Publish' }).click();

  const otherQuestion = qna(other.page).getByRole('listitem', { name: 'Will the slides be shared?' });
  await otherQuestion.getByRole('button', { name: 'Upvote' }).click();
  await expect(otherQuestion.getByRole('button', { name: 'Upvoted' })).toBeDisabled();
  await expect(teacherQuestion).toContainText('1 vote');
  await teacherQuestion.getByRole('button', { name: 'Mark answered' }).click();
  await expect(qna(student.page).getByRole('listitem', { name: 'Will the slides be shared?' })).toContainText('Answered');

  // A quiz: the student votes, the teacher watches the result live, then closes it for all.
  for (const p of [page, student.page]) await qna(p).getByRole('tab', { name: 'Polls' }).click();
  const newPoll = qna(page).getByRole('form', { name: 'New poll' });
  await newPoll.getByLabel('Poll question').fill('Which codec do browsers all decode?');
  await newPoll.getByLabel('Options (one per line)').fill('VP8\nHEVC');
  await newPoll.getByLabel('Correct answers for a quiz').fill('1');
  await newPoll.getByRole('button', { name: 'Launch poll' }).click();

  const studentPoll = qna(student.page).getByRole('listitem', { name: 'Which codec do browsers all decode?' });
  await studentPoll.getByRole('radio', { name: 'VP8' }).check();
  await studentPoll.getByRole('button', { name: 'Vote' }).click();
  await expect(studentPoll).toContainText('You voted: VP8');
  await expect(studentPoll.getByRole('list', { name: 'Results' })).toHaveCount(0);
  const teacherPoll = qna(page).getByRole('listitem', { name: 'Which codec do browsers all decode?' });
  await expect(teacherPoll.getByRole('list', { name: 'Results' })).toContainText('1 (100%)');
  await teacherPoll.getByRole('button', { name: 'Close poll' }).click();
  await expect(studentPoll).toContainText('Closed');
  await expect(studentPoll.getByRole('list', { name: 'Results' })).toContainText('VP8 ✓');
  await expect(studentPoll.getByRole('list', { name: 'Results' })).toContainText('1 (100%)');
  for (const one of [student, other]) await one.context.close();
});
