'use strict';
// Frontegg's browser SDK (@frontegg/js, unchanged) in headless Chromium against a running yolk. Started by
// ../run.sh, which passes:
//   BROWSER_YOLK_URL   the yolk under test (dev mode: loopback pages may call it with credentials)
//   BROWSER_PAGE_URL   the test app (../server.js): the page that initializes the SDK, and the stand-in login box
//                      the SDK loads as its `cdnUrl` (../page/login-box.js); yolk's app URL, so email links
//                      point here
//   BROWSER_CLIENT_ID, BROWSER_API_KEY   the environment credentials yolk was started with
//   BROWSER_CHROMIUM   the browser (default /usr/bin/chromium, Debian's package)
// Every HTTP call to yolk is the SDK's own; the stand-in only dispatches the SDK's store actions, as the real
// login-box screens do. Each case runs in its own browser context (own cookies) and checks both what the page
// shows and what went over the network.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

const PASSWORD = 'Browser-test-Passw0rd!';
const PAGE_LOAD_CALLS = [
  ['GET', '/flags'],
  ['GET', '/metadata'],
  ['POST', '/identity/resources/auth/v1/user/token/refresh'],
  ['GET', '/identity/resources/sso/v2'],
  ['GET', '/identity/resources/configurations/v1/public'],
  ['GET', '/identity/resources/configurations/v1/auth/strategies/public'],
  ['GET', '/identity/resources/configurations/v1/sign-up/strategies'],
  ['GET', '/team/resources/sso/v2/configurations/public'],
  ['GET', '/vendors/public'],
];

// Console errors the SDK logs on a normal logged-out page load:
// - the refresh's 401 (no session yet), as Chromium reports a failed resource load;
// - "metadata not found: saml": yolk answers GET /metadata?entityName=saml with {rows: []} (no SSO yet); the
//   SDK's __refreshMetadata catches it and leaves ssoACS unset. Frontegg answers a row with {acsUrl, ...}.
const unexpectedConsoleError = (m) => !/status of 401/.test(m) && !/^Error: metadata not found: saml$/.test(m);

let browser;
let user; // the password-login user: {email, password, userId, tenantId}
const open = [];

before(async () => {
  browser = await h.launch();
  user = await h.createUser(PASSWORD, 'login');
});

after(async () => {
  for (const p of open) await p.close().catch(() => {});
  if (browser) await browser.close();
});

/** A new page (own browser context); its calls to yolk are printed as the test's diagnostics when it ends. */
async function newPage(t) {
  const p = await h.newPage(browser);
  open.push(p);
  if (t) t.after(() => t.diagnostic(`calls to yolk:\n  ${h.summary(p.log)}`));
  return p;
}

/** Opens `path` of the test app and waits for the SDK's page load to settle. */
async function load(p, path = '/') {
  await p.page.goto(h.PAGE + path, { waitUntil: 'load' });
  await h.until(p.page, (v) => v.screen !== null && v.screen !== 'loading', 'the login box to render');
  await p.page.waitForNetworkIdle({ idleTime: 250 });
}

async function storeUser(page) {
  return page.evaluate(() => {
    const { auth } = window.yolkApp.store.getState();
    return { isAuthenticated: auth.isAuthenticated, email: auth.user ? auth.user.email : null };
  });
}

let routes = null;
/** The SDK's routes (auth.routes: loginUrl, magicLinkCallbackUrl, resetPasswordUrl, ...), read from a page once. */
async function sdkRoutes(page) {
  if (!routes) {
    let p = null;
    if (!page) {
      p = await h.newPage(browser);
      await load(p);
    }
    routes = await (page || p.page).evaluate(() => ({ ...window.yolkApp.store.getState().auth.routes }));
    if (p) await p.close();
  }
  return routes;
}

async function loginThroughForm(p, who, password = who.password) {
  const res = await h.submitLogin(p.page, who.email, password);
  assert.equal(res.status(), 200, `login: ${await res.text()}`);
  await h.until(p.page, (v) => v.status === `Signed in as ${who.email}`, 'the signed-in user');
  await p.page.waitForNetworkIdle({ idleTime: 250 });
  return res.json();
}

test('page load, logged out: every page-load call answers and the login form is shown', async (t) => {
  const p = await newPage(t);
  await load(p);
  const shown = await h.view(p.page);
  assert.equal(shown.screen, 'login', 'the stand-in login form');
  assert.equal(shown.status, 'Signed out');
  assert.equal(shown.error, '');
  assert.ok(await p.page.$('pierce/#login-email'), 'an email input');
  assert.ok(await p.page.$('pierce/#login-password'), 'a password input');

  h.assertNoFailures(p.log);
  for (const [method, path] of PAGE_LOAD_CALLS) {
    const seen = h.calls(p.log, method, path);
    assert.ok(seen.length > 0, `${method} ${path} was called; calls:\n  ${h.summary(p.log)}`);
  }
  const refresh = h.calls(p.log, 'POST', '/identity/resources/auth/v1/user/token/refresh');
  assert.ok(
    refresh.every((e) => e.status === 401),
    `refresh without a cookie is 401:\n  ${h.summary(p.log)}`,
  );
  const others = p.log.filter((e) => e.yolk && !refresh.includes(e));
  assert.deepEqual(
    others.filter((e) => e.status < 200 || e.status >= 300).map((e) => `${e.method} ${e.path} → ${e.status}`),
    [],
    'every other page-load call answers 2xx',
  );
  // Every call went through the /frontegg prefix, with the SDK's JSON content type and the page's origin.
  for (const e of p.log.filter((x) => x.yolk)) {
    assert.ok(new URL(e.url).pathname.startsWith('/frontegg/'), `${e.url} under /frontegg`);
  }
  assert.deepEqual(p.consoleErrors.filter(unexpectedConsoleError), [], 'no errors in the page console');
  await p.close();
});

test('a wrong password shows the server error text', async (t) => {
  const p = await newPage(t);
  await load(p);
  const res = await h.submitLogin(p.page, user.email, 'Not-the-password-1!');
  assert.ok(res.status() >= 400 && res.status() < 500, `login with a wrong password: ${res.status()}`);
  const body = await res.json();
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, `an errors array: ${JSON.stringify(body)}`);
  const expected = body.errors.join(', ');
  const shown = await h.until(p.page, (v) => v.error !== '', 'an error in the login box');
  assert.equal(shown.error, expected, 'the page shows the server’s error text');
  t.diagnostic(`the login box shows: ${shown.error}`);
  assert.equal(shown.status, 'Signed out');
  assert.equal(shown.screen, 'login');
  assert.equal(h.calls(p.log, 'GET', '/identity/resources/users/v2/me').length, 0, 'no users/v2/me');
  h.assertNoFailures(p.log);
  await p.close();
});

// Shared by the login and reload cases: the same browser context (its refresh cookie).
let session;

test('password login shows the user and loads users/v2/me with a bearer token', async (t) => {
  session = await newPage(t);
  const p = session;
  await load(p);
  const login = await loginThroughForm(p, user);
  assert.ok(login.accessToken, 'the login body has an accessToken');
  assert.equal(login.mfaRequired, false);

  assert.deepEqual(await storeUser(p.page), { isAuthenticated: true, email: user.email });
  const shown = await h.view(p.page);
  assert.equal(shown.status, `Signed in as ${user.email}`);
  assert.equal(shown.screen, 'signed-in');

  const me = h.calls(p.log, 'GET', '/identity/resources/users/v2/me');
  assert.ok(me.length > 0, `users/v2/me was called:\n  ${h.summary(p.log)}`);
  assert.equal(me.at(-1).status, 200);
  assert.equal(me.at(-1).headers.authorization, `Bearer ${login.accessToken}`, 'bearer: the login access token');
  const tenants = h.calls(p.log, 'GET', '/identity/resources/users/v3/me/tenants');
  assert.ok(tenants.length > 0 && tenants.at(-1).status === 200, `users/v3/me/tenants:\n  ${h.summary(p.log)}`);
  h.assertNoFailures(p.log);
});

test('a reload keeps the session through the refresh cookie', async (t) => {
  if (!session) return t.skip('needs the password login case');
  const p = session;
  const from = p.log.length;
  t.after(() => t.diagnostic(`calls to yolk after the reload:\n  ${h.summary(p.log.slice(from))}`));
  await p.page.reload({ waitUntil: 'load' });
  await h.until(p.page, (v) => v.status === `Signed in as ${user.email}`, 'the user after a reload');
  await p.page.waitForNetworkIdle({ idleTime: 250 });
  const after = p.log.slice(from);
  const refresh = h.calls(after, 'POST', '/identity/resources/auth/v1/user/token/refresh');
  assert.ok(refresh.length > 0, `token/refresh after the reload:\n  ${h.summary(after)}`);
  assert.equal(refresh[0].status, 201, 'refresh with the cookie answers 201 (as Frontegg’s spec says)');
  assert.equal(h.calls(after, 'POST', '/identity/resources/auth/v1/user').length, 0, 'no new password login');
  assert.deepEqual(await storeUser(p.page), { isAuthenticated: true, email: user.email });
  const me = h.calls(after, 'GET', '/identity/resources/users/v2/me');
  assert.ok(me.length > 0 && me.at(-1).status === 200, `users/v2/me after the reload:\n  ${h.summary(after)}`);
  assert.match(me.at(-1).headers.authorization || '', /^Bearer \S+$/);
  h.assertNoFailures(after);
  await p.close();
});

test('magic link: prelogin, the emailed link, postlogin, logged in', async (t) => {
  const magic = await h.createUser(PASSWORD, 'magic');
  const previous = await h.setVendorConfig({ authStrategy: 'MagicLink' });
  try {
    const p = await newPage(t);
    await load(p);
    await h.until(p.page, (v) => v.screen === 'login-magic-link', 'the magic-link login form');
    const since = Date.now();
    await h.fill(p.page, 'login-email', magic.email);
    const prelogin = h.waitForCall(p.page, 'POST', '/passwordless/magiclink/prelogin');
    await h.click(p.page, 'login-submit');
    const pre = await prelogin;
    assert.ok(pre.status() >= 200 && pre.status() < 300, `magic-link prelogin: ${pre.status()} ${await pre.text()}`);
    assert.deepEqual(JSON.parse(pre.request().postData()).email, magic.email);
    const shown = await h.until(p.page, (v) => v.info !== '', 'the link-sent message');
    assert.equal(shown.info, `We sent a sign-in link to ${magic.email}`);
    assert.equal(shown.error, '');

    const email = await h.waitForEmail(magic.email, since, /sign-in link/i);
    const routes = await sdkRoutes(p.page);
    const link = h.linkIn(email.text, routes.magicLinkCallbackUrl);
    assert.equal(link.origin, new URL(h.PAGE).origin, 'the link points at the app (YOLK_APP_URL)');
    assert.ok(link.searchParams.get('token'), 'the link carries a token');

    // Follow the link as the user would: the stand-in's magic-link page posts its token.
    const postlogin = h.waitForCall(p.page, 'POST', '/passwordless/magiclink/postlogin');
    await p.page.goto(link.href, { waitUntil: 'load' });
    const post = await postlogin;
    assert.ok(post.ok(), `magic-link postlogin: ${post.status()} ${await post.text()}`);
    assert.equal(JSON.parse(post.request().postData()).token, link.searchParams.get('token'));
    await h.until(p.page, (v) => v.status === `Signed in as ${magic.email}`, 'the user after the magic link');
    assert.deepEqual(await storeUser(p.page), { isAuthenticated: true, email: magic.email });
    await p.page.waitForNetworkIdle({ idleTime: 250 });
    const me = h.calls(p.log, 'GET', '/identity/resources/users/v2/me');
    assert.ok(me.length > 0 && me.at(-1).status === 200, `users/v2/me:\n  ${h.summary(p.log)}`);
    h.assertNoFailures(p.log);
    await p.close();
  } finally {
    await h.setVendorConfig(previous);
  }
});

test('forgot and reset password: the emailed link, a new password; the new one logs in, the old one fails', async (t) => {
  const who = await h.createUser(PASSWORD, 'reset');
  const newPassword = 'Browser-test-N3w-passw0rd!';
  const p = await newPage(t);
  await load(p, (await sdkRoutes()).forgetPasswordUrl);
  await h.until(p.page, (v) => v.screen === 'forgot-password', 'the forgot-password form');
  const since = Date.now();
  await h.fill(p.page, 'forgot-email', who.email);
  const forgot = h.waitForCall(p.page, 'POST', '/identity/resources/users/v1/passwords/reset');
  await h.click(p.page, 'forgot-submit');
  const fres = await forgot;
  assert.ok(fres.status() >= 200 && fres.status() < 300, `passwords/reset: ${fres.status()} ${await fres.text()}`);
  let shown = await h.until(p.page, (v) => v.info !== '' || v.error !== '', 'the reset-link-sent message');
  assert.equal(shown.error, '');
  assert.equal(shown.info, 'Check your email for a reset link');

  const email = await h.waitForEmail(who.email, since, /password/i);
  const link = h.linkIn(email.text, (await sdkRoutes(p.page)).resetPasswordUrl);
  assert.equal(link.origin, new URL(h.PAGE).origin, 'the link points at the app (YOLK_APP_URL)');
  assert.equal(link.searchParams.get('userId'), who.userId);
  assert.ok(link.searchParams.get('token'), 'the link carries a token');

  await load(p, link.pathname + link.search);
  await h.until(p.page, (v) => v.screen === 'reset-password', 'the reset-password form');
  await h.fill(p.page, 'reset-password', newPassword);
  const verify = h.waitForCall(p.page, 'POST', '/passwords/reset/verify');
  await h.click(p.page, 'reset-submit');
  const vres = await verify;
  assert.ok(vres.status() >= 200 && vres.status() < 300, `reset/verify: ${vres.status()} ${await vres.text()}`);
  assert.deepEqual(JSON.parse(vres.request().postData()), {
    userId: who.userId,
    token: link.searchParams.get('token'),
    password: newPassword,
  });
  shown = await h.until(p.page, (v) => v.info !== '' || v.error !== '', 'the password-reset message');
  assert.equal(shown.error, '');
  assert.equal(shown.info, 'Your password was reset');
  h.assertNoFailures(p.log);
  await p.close();

  // The old password no longer logs in; the new one does (each in a fresh browser context).
  const old = await newPage(t);
  await load(old, (await sdkRoutes()).loginUrl);
  const oldRes = await h.submitLogin(old.page, who.email, PASSWORD);
  assert.ok(oldRes.status() >= 400 && oldRes.status() < 500, `login with the old password: ${oldRes.status()}`);
  await h.until(old.page, (v) => v.error !== '', 'the error for the old password');
  assert.equal((await h.view(old.page)).status, 'Signed out');
  await old.close();

  const fresh = await newPage(t);
  await load(fresh, (await sdkRoutes()).loginUrl);
  await loginThroughForm(fresh, who, newPassword);
  assert.deepEqual(await storeUser(fresh.page), { isAuthenticated: true, email: who.email });
  h.assertNoFailures(fresh.log);
  await fresh.close();
});

test('logout: logged out, and a reload stays logged out', async (t) => {
  const who = await h.createUser(PASSWORD, 'logout');
  const p = await newPage(t);
  await load(p);
  await loginThroughForm(p, who);

  const from = p.log.length;
  const logout = h.waitForCall(p.page, 'POST', '/identity/resources/auth/v1/logout');
  await p.page.click('#logout'); // the app's button: FronteggApp.logout → the auth/logout action
  const res = await logout;
  assert.ok(res.status() >= 200 && res.status() < 300, `logout: ${res.status()} ${await res.text()}`);
  await h.until(p.page, (v) => v.status === 'Signed out' && v.screen === 'login', 'the login form after logout');
  await p.page.waitForNetworkIdle({ idleTime: 250 });
  assert.deepEqual(await storeUser(p.page), { isAuthenticated: false, email: null });
  const afterLogout = p.log.slice(from);
  // auth/logout runs the page-load calls again: the refresh is now refused.
  const refresh = h.calls(afterLogout, 'POST', '/identity/resources/auth/v1/user/token/refresh');
  assert.ok(refresh.length > 0 && refresh.every((e) => e.status === 401), `refresh after logout:\n  ${h.summary(afterLogout)}`);

  const beforeReload = p.log.length;
  await p.page.reload({ waitUntil: 'load' });
  await h.until(p.page, (v) => v.screen === 'login' && v.status === 'Signed out', 'logged out after a reload');
  await p.page.waitForNetworkIdle({ idleTime: 250 });
  const afterReload = p.log.slice(beforeReload);
  const refresh2 = h.calls(afterReload, 'POST', '/identity/resources/auth/v1/user/token/refresh');
  assert.ok(refresh2.length > 0 && refresh2.every((e) => e.status === 401), `refresh after reload:\n  ${h.summary(afterReload)}`);
  assert.equal(h.calls(afterReload, 'GET', '/identity/resources/users/v2/me').length, 0, 'no users/v2/me');
  h.assertNoFailures(p.log);
  await p.close();
});

test('the test’s own TOTP (for the MFA case) matches RFC 6238’s SHA-1 test vectors', () => {
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // base32 of "12345678901234567890"
  for (const [t, code] of [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
  ]) {
    assert.equal(h.totp(secret, t * 1000, { digits: 8 }), code, `T = ${t}`);
  }
  assert.match(h.totp(secret), /^\d{6}$/);
});

/** The `src` of the login box's element `id` (inside its shadow root). */
async function srcOf(page, id) {
  const el = await page.waitForSelector(`pierce/#${id}`);
  return el.evaluate((e) => e.getAttribute('src'));
}

async function textOf(page, id) {
  const el = await page.waitForSelector(`pierce/#${id}`);
  return el.evaluate((e) => e.textContent);
}

/** yolk's cookies in the page's browser context whose name mentions a refresh token. */
async function refreshCookies(page) {
  return (await page.cookies(h.YOLK)).filter((c) => /refresh/i.test(c.name));
}

const VERIFY = '/identity/resources/auth/v1/user/mfa/verify';
const STEP_MS = 30000;

/** Enters `code` in the MFA step and submits; resolves with the verify response. */
async function submitMfaCode(page, code) {
  await h.fill(page, 'mfa-code', code);
  const verify = h.waitForCall(page, 'POST', VERIFY);
  await h.click(page, 'mfa-submit');
  return verify;
}

/** Asserts a 4xx answer whose `errors` the login box shows (noted as the test's diagnostics). */
async function assertRefusedAndShown(t, page, res, what) {
  assert.ok(res.status() >= 400 && res.status() < 500, `${what}: ${res.status()} ${await res.text()}`);
  const body = await res.json();
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, `${what}: an errors array: ${JSON.stringify(body)}`);
  const shown = await h.until(page, (v) => v.error !== '', `the error for ${what}`);
  assert.equal(shown.error, body.errors.join(', '), `${what}: the page shows the server’s error text`);
  t.diagnostic(`${what}: ${res.status()}, the login box shows: ${shown.error}`);
  return shown;
}

// The user's own tenant gets a forced MFA policy (a tenant's policy wins over the environment's for its users), so
// no global state changes. The authenticator's key is read from the QR code the page shows, by an npm QR decoder,
// and the codes come from helpers.js's own RFC 6238 implementation. yolk accepts one step of clock skew either way
// and refuses a step it already accepted, so the second login uses the code of the step after the first code's
// (valid at once as the +1 skew): no 30-second wait.
test('TOTP MFA at login: forced enrolment from the QR code, a wrong code refused, signed in; the next login needs a fresh code', async (t) => {
  const who = await h.createUser(PASSWORD, 'mfa');
  const policy = await h.vendor(
    'POST',
    '/identity/resources/configurations/v1/mfa-policy',
    { enforceMFAType: 'Force' },
    { 'frontegg-tenant-id': who.tenantId },
  );
  assert.ok(policy.status === 200 || policy.status === 201, `tenant MFA policy: ${policy.status} ${policy.text}`);

  const p = await newPage(t);
  await load(p);
  // The password login answers the MFA branch: no token, no session.
  const remember = h.waitForCall(p.page, 'GET', '/identity/resources/configurations/v1/mfa-policy/allow-remember-device');
  const res = await h.submitLogin(p.page, who.email, who.password);
  assert.equal(res.status(), 200, `login: ${await res.text()}`);
  const login = await res.json();
  assert.equal(login.mfaRequired, true, JSON.stringify(login));
  assert.equal(login.mfaEnrolled, false);
  assert.deepEqual(login.mfaStrategies, ['AuthenticatorApp']);
  assert.equal(login.accessToken, undefined, 'no access token before the second factor');
  assert.equal(typeof login.mfaToken, 'string');
  assert.equal(typeof login.recoveryCode, 'string');
  const rem = await remember;
  assert.equal(rem.status(), 200, `allow-remember-device: ${await rem.text()}`);
  assert.equal(new URL(rem.url()).searchParams.get('mfaToken'), login.mfaToken);
  assert.deepEqual(await refreshCookies(p.page), [], 'no session cookie before the second factor');

  await h.until(p.page, (v) => v.screen === 'mfa-enroll', 'the forced MFA enrolment step');
  const qr = await srcOf(p.page, 'mfa-qr');
  assert.equal(qr, login.qrCode, 'the page shows the QR code of the login answer');
  const { url: otpauth, secret } = h.readTotpQr(qr);
  t.diagnostic(`the QR code holds ${otpauth.replace(/secret=[^&]+/, 'secret=…')}`);
  assert.equal(h.calls(p.log, 'GET', '/identity/resources/users/v2/me').length, 0, 'no users/v2/me yet');

  // A wrong code (none of the codes around now): the server's error, no session.
  const now = Math.floor(Date.now() / STEP_MS);
  const valid = new Set([-1, 0, 1, 2].map((d) => h.totp(secret, (now + d) * STEP_MS)));
  let wrong = '000000';
  while (valid.has(wrong)) wrong = String(Number(wrong) + 1).padStart(6, '0');
  const wres = await submitMfaCode(p.page, wrong);
  await assertRefusedAndShown(t, p.page, wres, 'a wrong code');
  assert.equal((await h.view(p.page)).screen, 'mfa-enroll');
  assert.deepEqual(await refreshCookies(p.page), [], 'no session cookie after a wrong code');

  // The right code enrolls the authenticator and completes the login.
  const firstStep = Math.floor(Date.now() / STEP_MS);
  const first = h.totp(secret, firstStep * STEP_MS);
  const vres = await submitMfaCode(p.page, first);
  assert.equal(vres.status(), 201, `mfa/verify: ${await vres.text()}`);
  assert.deepEqual(JSON.parse(vres.request().postData()), { mfaToken: login.mfaToken, value: first, rememberDevice: false });
  const verified = await vres.json();
  assert.ok(verified.accessToken, 'the verify answers the login body');
  assert.ok((await refreshCookies(p.page)).length > 0, 'the verify started a session (its refresh cookie)');
  // The real login box shows the recovery code, then Continue (auth/requestAuthorize): a refresh with the cookie.
  await h.until(p.page, (v) => v.screen === 'mfa-recovery-code', 'the recovery-code step');
  assert.equal(await textOf(p.page, 'mfa-recovery-code'), verified.recoveryCode || login.recoveryCode);
  const refreshed = h.waitForCall(p.page, 'POST', '/identity/resources/auth/v1/user/token/refresh');
  await h.click(p.page, 'mfa-continue');
  const rres = await refreshed;
  assert.equal(rres.status(), 201, `refresh after the second factor: ${await rres.text()}`);
  const session = await rres.json();
  await h.until(p.page, (v) => v.status === `Signed in as ${who.email}`, 'the signed-in user after MFA');
  await p.page.waitForNetworkIdle({ idleTime: 250 });
  assert.deepEqual(await storeUser(p.page), { isAuthenticated: true, email: who.email });
  let me = h.calls(p.log, 'GET', '/identity/resources/users/v2/me');
  assert.ok(me.length > 0 && me.at(-1).status === 200, `users/v2/me:\n  ${h.summary(p.log)}`);
  assert.equal(me.at(-1).headers.authorization, `Bearer ${session.accessToken}`);

  // Log out, log in again: enrolled now (no QR code), the code already used is refused, a fresh one signs in.
  const logout = h.waitForCall(p.page, 'POST', '/identity/resources/auth/v1/logout');
  await p.page.click('#logout');
  assert.ok((await logout).ok(), 'logout');
  await h.until(p.page, (v) => v.status === 'Signed out' && v.screen === 'login', 'the login form after logout');
  await p.page.waitForNetworkIdle({ idleTime: 250 });
  const from = p.log.length;
  const res2 = await h.submitLogin(p.page, who.email, who.password);
  assert.equal(res2.status(), 200, `second login: ${await res2.text()}`);
  const login2 = await res2.json();
  assert.equal(login2.mfaRequired, true, JSON.stringify(login2));
  assert.equal(login2.mfaEnrolled, true);
  assert.equal(login2.qrCode, undefined, 'no QR code once enrolled');
  assert.equal(login2.recoveryCode, undefined, 'the recovery code is shown once');
  assert.equal(login2.accessToken, undefined);
  assert.ok(login2.mfaDevices && login2.mfaDevices.authenticators.length === 1, `one authenticator: ${JSON.stringify(login2.mfaDevices)}`);
  assert.deepEqual(await refreshCookies(p.page), [], 'no session cookie before the second factor');
  await h.until(p.page, (v) => v.screen === 'mfa-verify', 'the two-factor step');

  const replay = await submitMfaCode(p.page, first);
  assert.deepEqual(JSON.parse(replay.request().postData()), { mfaToken: login2.mfaToken, value: first, rememberDevice: false });
  await assertRefusedAndShown(t, p.page, replay, 'the code already used');

  const nextStep = Math.max(firstStep + 1, Math.floor(Date.now() / STEP_MS));
  const next = h.totp(secret, nextStep * STEP_MS);
  const vres2 = await submitMfaCode(p.page, next);
  assert.equal(vres2.status(), 201, `mfa/verify with the next step’s code: ${await vres2.text()}`);
  const verified2 = await vres2.json();
  await h.until(p.page, (v) => v.status === `Signed in as ${who.email}`, 'the signed-in user after the second login');
  await p.page.waitForNetworkIdle({ idleTime: 250 });
  assert.deepEqual(await storeUser(p.page), { isAuthenticated: true, email: who.email });
  me = h.calls(p.log.slice(from), 'GET', '/identity/resources/users/v2/me');
  assert.ok(me.length > 0 && me.at(-1).status === 200, `users/v2/me:\n  ${h.summary(p.log.slice(from))}`);
  assert.equal(me.at(-1).headers.authorization, `Bearer ${verified2.accessToken}`);
  assert.ok((await refreshCookies(p.page)).length > 0, 'a session cookie');
  h.assertNoFailures(p.log);
  await p.close();
});

/** The tenant ids of a `users/v3/me/tenants` answer ({tenants, activeTenant}). */
async function tenantIdsOf(res) {
  assert.equal(res.status(), 200, `users/v3/me/tenants: ${await res.text()}`);
  const body = await res.json();
  const list = Array.isArray(body) ? body : body.tenants;
  assert.ok(Array.isArray(list), `a tenant list: ${JSON.stringify(body)}`);
  return list.map((x) => x.tenantId).sort();
}

/** Logs `who` in through the form on a fresh page; returns the tenant ids users/v3/me/tenants answered. */
async function loginAndTenants(t, who) {
  const p = await newPage(t);
  await load(p, (await sdkRoutes()).loginUrl);
  const tenantsCall = h.waitForCall(p.page, 'GET', '/identity/resources/users/v3/me/tenants');
  await loginThroughForm(p, who);
  const ids = await tenantIdsOf(await tenantsCall);
  const inStore = await p.page.evaluate(() =>
    (window.yolkApp.store.getState().auth.tenantsState.tenants || []).map((x) => x.tenantId).sort(),
  );
  assert.deepEqual(inStore, ids, 'the SDK’s tenants are the ones yolk answered');
  h.assertNoFailures(p.log);
  await p.close();
  return ids;
}

test('invitation accept: an existing user invited to another tenant gets it only after opening the emailed link', async (t) => {
  const who = await h.createUser(PASSWORD, 'invitee');
  const other = await h.vendor('POST', '/tenants/resources/tenants/v1', { name: 'Browser inviting tenant' });
  assert.ok(other.status === 200 || other.status === 201, `create tenant: ${other.status} ${other.text}`);
  const tenantB = other.body.tenantId;

  // The environment adds the existing account to tenant B: a pending membership and an invitation email.
  const since = Date.now();
  const invite = await h.vendor('POST', '/identity/resources/users/v1', { email: who.email }, { 'frontegg-tenant-id': tenantB });
  assert.ok(invite.status === 200 || invite.status === 201, `invite: ${invite.status} ${invite.text}`);
  const email = await h.waitForEmail(who.email, since, /invit/i);
  const routes = await sdkRoutes();
  const link = h.linkIn(email.text, routes.acceptInvitationUrl);
  assert.equal(link.origin, new URL(h.PAGE).origin, 'the link points at the app (YOLK_APP_URL)');
  assert.equal(link.searchParams.get('userId'), who.userId);
  assert.ok(link.searchParams.get('token'), 'the link carries a token');

  // Pending: tenant B grants nothing yet.
  assert.deepEqual(await loginAndTenants(t, who), [who.tenantId], 'before accepting: only the home tenant');

  // Open the link: the stand-in's invitation page dispatches the SDK's auth/acceptInvitation.
  const p = await newPage(t);
  const accept = h.waitForCall(p.page, 'POST', '/identity/resources/users/v1/invitation/accept');
  await load(p, link.pathname + link.search);
  const ares = await accept;
  assert.equal(ares.status(), 201, `invitation/accept: ${await ares.text()}`);
  assert.deepEqual(JSON.parse(ares.request().postData()), { userId: who.userId, token: link.searchParams.get('token') });
  const shown = await h.until(p.page, (v) => v.info !== '' || v.error !== '', 'the invitation-accepted message');
  assert.equal(shown.error, '');
  assert.equal(shown.info, 'Invitation accepted');
  assert.equal(shown.screen, 'accept-invitation');
  h.assertNoFailures(p.log);
  await p.close();

  // Accepted: tenant B is the user's; the password is unchanged.
  assert.deepEqual(await loginAndTenants(t, who), [who.tenantId, tenantB].sort(), 'after accepting: both tenants');

  // The link works once.
  const again = await newPage(t);
  const accept2 = h.waitForCall(again.page, 'POST', '/identity/resources/users/v1/invitation/accept');
  await load(again, link.pathname + link.search);
  await assertRefusedAndShown(t, again.page, await accept2, 'a second accept of the same link');
  assert.equal((await h.view(again.page)).info, '');
  await again.close();
});
