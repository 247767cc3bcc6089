import { expect } from '@playwright/test';
import { hydrated, signIn, test } from './helpers';

test('a wrong password is refused with a clear message', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Username').fill('teacher');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('wrong username or password');
  await expect(page).toHaveURL(/\/login/);
});

test('signing out ends the session', async ({ page }) => {
  await signIn(page, 'student', '/galleries/1');
  await expect(page.getByRole('navigation', { name: 'Account' })).toContainText('Sam Student');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto('/galleries/1');
  await expect(page).toHaveURL(/\/login\?next=\/galleries\/1/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});
