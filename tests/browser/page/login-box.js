// A stand-in for Frontegg's hosted login-box screens (not on npm: the real SDK downloads them from its CDN).
// FronteggApp.loadScript loads this file from `${cdnUrl}/login-box/index.js` and calls
// window.FronteggLoginBox.render(el, {injector, options}), as it would the real bundle. It draws plain forms and
// dispatches the same store actions the real screens do; every HTTP call is the SDK's own.
//
// Screens (by the page's path and the SDK's routes in auth.routes, as the real login box routes):
//   /account/login/magic-link?token=    auth/passwordlessPostLogin {type: 'MagicLink', token}
//   /account/forget-password            auth/forgotPassword {email}
//   /account/reset-password?userId=&token=   auth/resetPassword {userId, token, password}
//   /account/invitation/accept?userId=&token=   auth/acceptInvitation {userId, token}, once the page load is done
//   anything else, signed out           the login form: auth/login {email, password}, or under the MagicLink
//                                       strategy auth/passwordlessPreLogin {type: 'MagicLink', email}
//   after a login that needs MFA (by auth.loginState.step and auth.mfaState.step, as the real login box):
//     forceTwoFactor                    enrol: the QR code and a code, auth/verifyMfaAfterForce {mfaToken, value,
//                                       rememberDevice}; then the recovery code and Continue: auth/requestAuthorize
//                                       true (the session the verify started, through a refresh)
//     loginWithTwoFactor                the authenticator's code: auth/loginWithMfa {mfaToken, value, rememberDevice}
(function () {
  'use strict';

  function errorText(error) {
    if (!error) return '';
    return typeof error === 'string' ? error : error.message || String(error);
  }

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v);
    }
    for (const c of children) el.append(c);
    return el;
  }

  function render(el, { injector }) {
    const store = injector.store;
    const dispatch = (type, payload) => store.dispatch({ type, payload });
    const root = h('div', { id: 'yolk-login-box' });
    el.replaceChildren(root);
    let shown = null; // the screen drawn, redrawn only when it changes (so inputs keep what was typed)
    let postedToken = null;

    function screenOf(auth) {
      // The SDK's own routes (auth.routes: /account/login/magic-link, /account/forget-password, ...).
      const path = location.pathname;
      const routes = auth.routes || {};
      if (path === routes.magicLinkCallbackUrl) return 'magic-link';
      if (path === routes.forgetPasswordUrl) return 'forgot-password';
      if (path === routes.resetPasswordUrl) return 'reset-password';
      if (path === routes.acceptInvitationUrl) return 'accept-invitation';
      if (auth.isLoading) return 'loading';
      if (auth.isAuthenticated) return 'signed-in';
      const login = auth.loginState || {};
      const mfa = auth.mfaState || {};
      if (login.step === 'forceTwoFactor') return mfa.step === 'recoveryCode' ? 'mfa-recovery-code' : 'mfa-enroll';
      if (login.step === 'loginWithTwoFactor') return 'mfa-verify';
      const policy = auth.securityPolicyState && auth.securityPolicyState.publicPolicy.policy;
      return policy && policy.authStrategy === 'MagicLink' ? 'login-magic-link' : 'login';
    }

    function draw(screen) {
      const params = new URLSearchParams(location.search);
      const error = h('p', { id: 'box-error', role: 'alert' });
      const info = h('p', { id: 'box-info' });
      let body = [];
      if (screen === 'login' || screen === 'login-magic-link') {
        const email = h('input', { id: 'login-email', type: 'email', name: 'email', autocomplete: 'username' });
        const password = h('input', { id: 'login-password', type: 'password', name: 'password' });
        body = [
          h('h1', {}, 'Sign in'),
          h(
            'form',
            {
              id: 'login-form',
              onsubmit(e) {
                e.preventDefault();
                if (screen === 'login-magic-link') {
                  dispatch('auth/passwordlessPreLogin', { type: 'MagicLink', email: email.value });
                } else {
                  dispatch('auth/login', { email: email.value, password: password.value });
                }
              },
            },
            h('label', {}, 'Email ', email),
            ...(screen === 'login' ? [h('label', {}, ' Password ', password)] : []),
            h('button', { id: 'login-submit', type: 'submit' }, screen === 'login' ? 'Sign in' : 'Email me a link'),
          ),
        ];
      } else if (screen === 'magic-link') {
        body = [h('h1', {}, 'Signing in with your link')];
      } else if (screen === 'forgot-password') {
        const email = h('input', { id: 'forgot-email', type: 'email', name: 'email' });
        body = [
          h('h1', {}, 'Forgot password'),
          h(
            'form',
            {
              id: 'forgot-form',
              onsubmit(e) {
                e.preventDefault();
                dispatch('auth/forgotPassword', { email: email.value });
              },
            },
            h('label', {}, 'Email ', email),
            h('button', { id: 'forgot-submit', type: 'submit' }, 'Send reset link'),
          ),
        ];
      } else if (screen === 'reset-password') {
        const password = h('input', { id: 'reset-password', type: 'password', name: 'password' });
        body = [
          h('h1', {}, 'Reset password'),
          h(
            'form',
            {
              id: 'reset-form',
              onsubmit(e) {
                e.preventDefault();
                dispatch('auth/resetPassword', {
                  userId: params.get('userId'),
                  token: params.get('token'),
                  password: password.value,
                });
              },
            },
            h('label', {}, 'New password ', password),
            h('button', { id: 'reset-submit', type: 'submit' }, 'Set password'),
          ),
        ];
      } else if (screen === 'mfa-enroll' || screen === 'mfa-verify') {
        const { auth } = store.getState();
        const code = h('input', { id: 'mfa-code', inputmode: 'numeric', name: 'code', autocomplete: 'one-time-code' });
        body = [
          h('h1', {}, screen === 'mfa-enroll' ? 'Set up two-factor authentication' : 'Two-factor authentication'),
          ...(screen === 'mfa-enroll'
            ? [h('p', {}, 'Scan this QR code with your authenticator app'), h('img', { id: 'mfa-qr', alt: 'QR code', src: auth.mfaState.qrCode || '' })]
            : []),
          h(
            'form',
            {
              id: 'mfa-form',
              onsubmit(e) {
                e.preventDefault();
                // The same payloads the real login box sends (its "remember this device" box left unticked).
                const { auth: now } = store.getState();
                if (screen === 'mfa-enroll') {
                  dispatch('auth/verifyMfaAfterForce', { mfaToken: now.mfaState.mfaToken || '', value: code.value, rememberDevice: false });
                } else {
                  dispatch('auth/loginWithMfa', { mfaToken: now.loginState.mfaToken, value: code.value, rememberDevice: false });
                }
              },
            },
            h('label', {}, 'Code ', code),
            h('button', { id: 'mfa-submit', type: 'submit' }, 'Verify'),
          ),
        ];
      } else if (screen === 'mfa-recovery-code') {
        const { auth } = store.getState();
        body = [
          h('h1', {}, 'Your recovery code'),
          h('p', { id: 'mfa-recovery-code' }, auth.mfaState.recoveryCode || ''),
          h('button', { id: 'mfa-continue', type: 'button', onclick: () => dispatch('auth/requestAuthorize', true) }, 'Continue'),
        ];
      } else if (screen === 'accept-invitation') {
        body = [h('h1', {}, 'Accepting your invitation')];
      } else if (screen === 'loading') {
        body = [h('p', {}, 'Loading…')];
      }
      root.setAttribute('data-screen', screen);
      root.replaceChildren(...body, error, info);
    }

    function update() {
      const { auth } = store.getState();
      const screen = screenOf(auth);
      if (screen !== shown) {
        shown = screen;
        draw(screen);
      }
      if (screen === 'magic-link' && !auth.isLoading) {
        // What the real login box's magic-link page does with the link's token, once the page load is done.
        const token = new URLSearchParams(location.search).get('token');
        if (token && token !== postedToken) {
          postedToken = token;
          queueMicrotask(() => dispatch('auth/passwordlessPostLogin', { type: 'MagicLink', token }));
        }
      }
      if (screen === 'accept-invitation' && !auth.isLoading) {
        // What the real login box's invitation page does with the link's userId and token.
        const params = new URLSearchParams(location.search);
        const token = params.get('token');
        if (token && token !== postedToken) {
          postedToken = token;
          const userId = params.get('userId');
          queueMicrotask(() => dispatch('auth/acceptInvitation', { userId, token }));
        }
      }
      const login = auth.loginState || {};
      const forgot = auth.forgotPasswordState || {};
      const mfa = auth.mfaState || {};
      const invitation = auth.acceptInvitationState || {};
      let error = '';
      let info = '';
      if (screen.startsWith('login') || screen === 'magic-link') {
        error = errorText(login.error);
        if (login.step === 'magicLinkPreLoginSuccess') info = `We sent a sign-in link to ${login.email}`;
        if (login.step === 'magicLinkPostLoginSuccess') info = 'Signed in with your link';
      } else if (screen === 'mfa-enroll' || screen === 'mfa-recovery-code') {
        error = errorText(mfa.error);
      } else if (screen === 'mfa-verify') {
        error = errorText(login.error);
      } else if (screen === 'accept-invitation') {
        error = errorText(invitation.error);
        if (invitation.step === 'success') info = 'Invitation accepted';
      } else if (screen === 'forgot-password' || screen === 'reset-password') {
        error = errorText(forgot.error);
        if (forgot.step === 'forgotPasswordEmailSuccess') info = 'Check your email for a reset link';
        if (forgot.step === 'resetPasswordSuccess') info = 'Your password was reset';
      }
      const errorEl = root.querySelector('#box-error');
      const infoEl = root.querySelector('#box-info');
      if (errorEl.textContent !== error) errorEl.textContent = error;
      if (infoEl.textContent !== info) infoEl.textContent = info;
    }

    store.subscribe(update);
    window.addEventListener('yolk-route', update);
    window.addEventListener('popstate', update);
    update();
    return { update };
  }

  window.FronteggLoginBox = { render };
})();
