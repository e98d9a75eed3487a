// The authkit dev console: mint a token, call the API with it, send webhooks, read the
// audit records. Same-origin requests only; every value from the server is shown with
// textContent, never parsed as HTML.
'use strict';

const $ = (id) => document.getElementById(id);

// The last token minted, and the form values it was minted with.
const state = {token: '', user_id: '', session_id: '', org_id: ''};

// request sends one same-origin request and returns what came back. credentials is
// 'omit' unless the caller sends the cookie on purpose.
async function request(method, path, {json, headers = {}, credentials = 'omit'} = {}) {
  const init = {method, headers: {...headers}, credentials, cache: 'no-store'};
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let body = null;
  try { body = JSON.parse(text); } catch (e) { /* not JSON: shown as text */ }
  return {status: res.status, statusText: res.statusText, headers: res.headers, text, body};
}

function pretty(res) {
  return res.body === null ? res.text : JSON.stringify(res.body, null, 2);
}

function showStatus(el, res) {
  el.textContent = res.status + ' ' + res.statusText;
  el.className = 'status ' + (res.status < 300 ? 'ok' : res.status < 500 ? 'refused' : 'failed');
}

function showError(el, err) {
  el.textContent = 'request failed: ' + err;
  el.className = 'status failed';
}

// base64url decodes one JWT segment as JSON.
function decodeSegment(segment) {
  const b64 = segment.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(segment.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

// annotateTimes adds the date of every NumericDate claim, for reading.
function annotateTimes(claims) {
  const out = {};
  for (const [k, v] of Object.entries(claims)) {
    out[k] = v;
    if (['exp', 'iat', 'nbf'].includes(k) && typeof v === 'number') {
      out[k + ' (date)'] = new Date(v * 1000).toISOString();
    }
  }
  return out;
}

// mintRequest is the body of POST /dev/token: the form's non-empty fields.
function mintRequest() {
  const req = {};
  for (const name of ['user_id', 'session_id', 'email', 'first_name', 'last_name', 'org_id', 'org_slug', 'role']) {
    const v = $(name).value.trim();
    if (v !== '') req[name] = v;
  }
  const perms = $('permissions').value.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (perms.length > 0) req.permissions = perms;
  const life = $('lifetime_seconds').value.trim();
  if (life !== '') req.lifetime_seconds = Number(life);
  if (req.org_id === undefined) { // no organization: the org fields would be refused
    delete req.org_slug;
    delete req.role;
    delete req.permissions;
  }
  return req;
}

async function mint(ev) {
  ev.preventDefault();
  $('mint-result').hidden = false;
  const req = mintRequest();
  try {
    const res = await request('POST', '/dev/token', {json: req});
    showStatus($('mint-status'), res);
    if (res.status !== 200 || !res.body || !res.body.token) {
      $('token').value = '';
      $('token-header').textContent = '';
      $('token-claims').textContent = pretty(res);
      return;
    }
    Object.assign(state, {token: res.body.token, user_id: res.body.user_id, session_id: res.body.session_id, org_id: req.org_id || ''});
    const [header, claims] = res.body.token.split('.');
    $('token').value = res.body.token;
    $('token-header').textContent = JSON.stringify(decodeSegment(header), null, 2);
    $('token-claims').textContent = JSON.stringify(annotateTimes(decodeSegment(claims)), null, 2);
    $('mint-status').textContent += ' — expires ' + res.body.expires_at;
    fillEvent();
  } catch (err) {
    showError($('mint-status'), err);
  } finally {
    refreshAudit();
  }
}

function endpointPath() {
  const org = encodeURIComponent($('call-org').value.trim() || state.org_id || 'org_none');
  switch ($('endpoint').value) {
    case 'members': return '/api/auth_core/orgs/' + org + '/members/';
    case 'admin': return '/api/auth_core/orgs/' + org + '/admin/';
    case 'health': return '/api/auth_core/health/';
    default: return '/api/auth_core/me/';
  }
}

// call sends the chosen request. The cookie is set for this host just for the call and
// removed after it: cookies ignore ports, so it would reach every local app otherwise.
async function call(ev) {
  ev.preventDefault();
  $('call-result').hidden = false;
  const credential = document.querySelector('input[name="credential"]:checked').value;
  const opts = {};
  if (credential === 'bearer') {
    opts.headers = {Authorization: 'Bearer ' + state.token};
  } else if (credential === 'cookie') {
    document.cookie = '__session=' + state.token + '; path=/; SameSite=Strict';
    opts.credentials = 'same-origin';
  }
  try {
    const res = await request('GET', endpointPath(), opts);
    showStatus($('call-status'), res);
    $('call-www-authenticate').textContent = res.headers.get('WWW-Authenticate') || '(none)';
    $('call-retry-after').textContent = res.headers.get('Retry-After') || '(none)';
    $('call-body').textContent = pretty(res);
  } catch (err) {
    showError($('call-status'), err);
  } finally {
    if (credential === 'cookie') document.cookie = '__session=; path=/; max-age=0; SameSite=Strict';
    refreshAudit();
  }
}

// eventData is a Clerk payload for type, from the token form (and the last token).
function eventData(type) {
  const now = Date.now();
  const user = $('user_id').value.trim() || state.user_id || 'user_dev';
  const email = $('email').value.trim();
  const org = $('org_id').value.trim() || state.org_id || 'org_dev';
  const slug = $('org_slug').value.trim() || org;
  const role = $('role').value.trim() || 'org:member';
  const perms = $('permissions').value.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const membership = {
    id: 'orgmem_' + user, object: 'organization_membership', role, permissions: perms,
    organization: {id: org, object: 'organization', slug, name: slug},
    public_user_data: {user_id: user, identifier: email},
    created_at: now, updated_at: now,
  };
  switch (type) {
    case 'user.created':
    case 'user.updated':
      return {
        id: user, object: 'user',
        first_name: $('first_name').value.trim(), last_name: $('last_name').value.trim(),
        primary_email_address_id: 'idn_' + user,
        email_addresses: email ? [{id: 'idn_' + user, email_address: email}] : [],
        created_at: now, updated_at: now,
      };
    case 'user.deleted':
      return {id: user, object: 'user', deleted: true};
    case 'organizationMembership.created':
    case 'organizationMembership.deleted':
      return membership;
    case 'session.revoked':
      return {
        id: state.session_id || $('session_id').value.trim() || 'sess_dev', object: 'session',
        user_id: user, status: 'revoked', created_at: now, updated_at: now,
      };
  }
  return {};
}

function fillEvent() {
  $('event-data').value = JSON.stringify(eventData($('event-type').value), null, 2);
}

async function sendEvent(ev) {
  ev.preventDefault();
  $('webhook-result').hidden = false;
  let data;
  try {
    data = JSON.parse($('event-data').value);
  } catch (err) {
    $('webhook-status').textContent = 'the data is not JSON: ' + err.message;
    $('webhook-status').className = 'status failed';
    return;
  }
  try {
    const res = await request('POST', '/dev/webhook', {json: {type: $('event-type').value, data}});
    showStatus($('webhook-status'), res);
    $('webhook-body').textContent = pretty(res);
  } catch (err) {
    showError($('webhook-status'), err);
  } finally {
    refreshAudit();
  }
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text === undefined || text === null ? '' : String(text);
  return td;
}

async function refreshAudit() {
  const rows = $('audit-rows');
  try {
    const res = await request('GET', '/dev/audit');
    if (res.status !== 200 || !res.body) throw new Error(res.status + ' ' + res.text);
    const trs = res.body.records.map((r) => {
      const tr = document.createElement('tr');
      const status = r['http.response.status_code'];
      tr.className = status >= 500 ? 'failed' : status >= 400 ? 'refused' : '';
      const time = r.time ? new Date(r.time).toLocaleTimeString() : '';
      const ms = typeof r.duration === 'number' ? (r.duration / 1e6).toFixed(1) : '';
      for (const v of [time, r['http.request.method'], r['url.path'], status, r['user.id'],
        r['organization.id'], r['event.outcome'], r['error.type'], ms]) {
        tr.appendChild(cell(v));
      }
      return tr;
    });
    rows.replaceChildren(...trs);
  } catch (err) {
    const tr = document.createElement('tr');
    const td = cell('reading /dev/audit failed: ' + err);
    td.colSpan = 9;
    tr.appendChild(td);
    rows.replaceChildren(tr);
  }
}

$('mint-form').addEventListener('submit', mint);
$('call-form').addEventListener('submit', call);
$('webhook-form').addEventListener('submit', sendEvent);
$('event-type').addEventListener('change', fillEvent);
$('webhook-fill').addEventListener('click', fillEvent);
$('audit-refresh').addEventListener('click', refreshAudit);
fillEvent();
refreshAudit();
document.body.dataset.ready = 'true';
