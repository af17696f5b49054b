// The test app: initializes Frontegg's browser SDK (window.Frontegg, from @frontegg/js's UMD build) against yolk
// and shows who is signed in. yolk's URL comes from window.YOLK_URL (set by the test before any page script) or
// the `yolk` query parameter.
(function () {
  'use strict';
  const status = document.getElementById('app-status');
  const logout = document.getElementById('logout');
  const yolk = window.YOLK_URL || new URLSearchParams(location.search).get('yolk');
  if (!yolk) {
    status.textContent = 'No yolk URL: set window.YOLK_URL or ?yolk=';
    return;
  }

  const app = window.Frontegg.initialize({
    contextOptions: { baseUrl: yolk },
    // The login box's screens are not on npm: the SDK loads them from here (page/login-box.js).
    cdnUrl: `${location.origin}/cdn`,
    lazyLoadAdminPortal: true,
    // Plain @frontegg/js needs a router: without it the redirect after login throws.
    onRedirectTo(to, opts) {
      const url = new URL(to, location.origin);
      if (opts && opts.refresh) {
        location.href = url.href;
        return;
      }
      if (opts && opts.preserveQueryParams) url.search = location.search;
      const method = opts && opts.replace ? 'replaceState' : 'pushState';
      history[method](null, '', url.pathname + url.search + url.hash);
      window.dispatchEvent(new Event('yolk-route'));
    },
  });
  window.yolkApp = app;

  function render() {
    const { auth } = app.store.getState();
    if (auth.isLoading) {
      status.textContent = 'Loading…';
    } else if (auth.isAuthenticated && auth.user) {
      status.textContent = `Signed in as ${auth.user.email}`;
    } else {
      status.textContent = 'Signed out';
    }
    logout.hidden = !(auth.isAuthenticated && !auth.isLoading);
  }
  app.store.subscribe(render);
  render();
  // The SDK's own logout: FronteggApp.logout dispatches auth/logout.
  logout.addEventListener('click', () => app.logout());
})();
