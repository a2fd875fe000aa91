# Varnish for the newsroom: the shared page cache between nginx (TLS,
# static files, uploads; deploy/nginx.conf) and the gunicorn app servers.
# Pages are kept for the app's edge lifetime (Surrogate-Control, hours) and
# removed the moment they change: the app sends each page's surrogate keys
# (Surrogate-Key: s12 front nav site) and, after an edit, a PURGE with the
# keys it touched (VARNISH_URLS; docs/operators.md, "Varnish").
#
# Needs Varnish 7.1 or later and the xkey vmod (Debian: apt-get install
# varnish varnish-modules). Install: copy to /etc/varnish/default.vcl,
# replace the backends, the purge ACL and news.example.com in the probe,
# then run varnishd with the listen address nginx uses and, for app servers
# on other machines, one they can reach for purges, e.g.
#   varnishd -a 127.0.0.1:6081 -a 10.0.0.11:6081 -f /etc/varnish/default.vcl -s malloc,2g
# (Debian's varnish.service listens on every address: `systemctl edit
# varnish` to change ExecStart). Check with `varnishd -C -f default.vcl`;
# `systemctl reload varnish` loads a new version without losing the cache.
# tests/test_deploy.py runs this very file on 127.0.0.1, changing only
# addresses (bench/local_stack.py, render_vcl).

vcl 4.1;

import directors;
import std;
import xkey;

# The app servers answer /healthz with 200 while their process serves,
# whatever the Host (newsroom/health.py). A server that fails 3 of
# the last 5 checks (2 s apart) gets no requests until it passes again.
probe healthz {
    .request =
        "GET /healthz HTTP/1.1"
        "Host: news.example.com"
        "Connection: close";
    # Generous: an app server busy with a burst of misses is slow, not
    # down, and a sick one makes every miss a 503.
    .interval = 2s;
    .timeout = 5s;
    .window = 5;
    .threshold = 2;
}

# The app servers (gunicorn, see gunicorn.conf.py), one block each, all in
# the director in vcl_init. gunicorn kills a request after 30 s, so a
# longer wait means the server is gone.
backend app_1 {
    .host = "127.0.0.1";
    .port = "8000";
    .probe = healthz;
    .connect_timeout = 2s;
    .first_byte_timeout = 33s;
    .between_bytes_timeout = 33s;
}

backend app_2 {
    .host = "10.0.0.12";
    .port = "8000";
    .probe = healthz;
    .connect_timeout = 2s;
    .first_byte_timeout = 33s;
    .between_bytes_timeout = 33s;
}

sub vcl_init {
    # Requests take turns over the healthy app servers.
    new app = directors.round_robin();
    app.add_backend(app_1);
    app.add_backend(app_2);
}

# Who may purge: this machine and the app servers (the app sends the
# purges). nginx, which is on this machine too, refuses PURGE from readers.
acl purgers {
    "127.0.0.1";
    "::1";
    "10.0.0.12";
}

# nginx in front, which has appended the reader's address to
# X-Forwarded-For already.
acl proxies {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    # Varnish appends the address of whoever connected (nginx) to
    # X-Forwarded-For; the app takes the last address as the reader's, so
    # drop that hop when nginx has added the reader's own.
    if (client.ip ~ proxies && req.http.X-Forwarded-For ~ ",") {
        set req.http.X-Forwarded-For = regsub(req.http.X-Forwarded-For, ",[^,]*$", "");
    }

    # Purge by surrogate keys: `PURGE /` with `xkey-purge: s12 front`
    # removes every object carrying any of those keys (a hard purge: they
    # are gone, not kept for grace) and answers 200 with how many.
    if (req.method == "PURGE") {
        if (client.ip !~ purgers || !req.http.xkey-purge) {
            return (synth(403, "Forbidden"));
        }
        set req.http.xkey-purged = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged"));
    }

    if (req.http.Host) {
        set req.http.Host = req.http.Host.lower();
    }
    set req.backend_hint = app.backend();

    # Only reading is cached; posts (search is a GET; the "Most read"
    # beacon, logins, the admin) go straight to an app server.
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # Never cached, never served from the cache: the newsroom, previews,
    # the beacon and the health checks, and anything an editor (the
    # session cookie) or a client with credentials asks for. Previews and
    # the beacon answer under /ur/ too (the Urdu pages' addresses).
    if (req.url ~ "^/(admin|preview|stats|alerts)/" ||
        req.url ~ "^/ur/(preview|stats|alerts)/" ||
        req.url ~ "^/(healthz|readyz)(\?|$)" ||
        req.http.Cookie ~ "(^|;)\s*sessionid=" ||
        req.http.Authorization) {
        return (pass);
    }
    # Static files: nginx caches them, keeping whitenoise's brotli and
    # gzip copies apart, so Varnish only passes them on untouched.
    if (req.url ~ "^/static/") {
        return (pass);
    }

    # Anonymous pages do not depend on cookies (analytics, consent...).
    unset req.http.Cookie;
    # One copy per encoding: gzip or none. Varnish does the same itself
    # after vcl_recv (http_gzip_support, on by default: it stores the gzip
    # copy and unpacks it for the few readers who cannot take gzip).
    if (req.http.Accept-Encoding ~ "(?i)\bgzip\b" &&
        req.http.Accept-Encoding !~ "(?i)\bgzip\s*;\s*q\s*=\s*0(\.0*)?\s*(,|$)") {
        set req.http.Accept-Encoding = "gzip";
    } else {
        unset req.http.Accept-Encoding;
    }

    # Grace: while any app server is healthy, a page past its lifetime is
    # never served, the reader waits for the fresh one (scheduled
    # publications rely on the lifetimes the app sends). Only when every
    # app server is down does Varnish serve what it has, up to 6 hours old.
    if (std.healthy(req.backend_hint)) {
        set req.grace = 0s;
    }
    return (hash);
}

sub vcl_hash {
    # http and https copies apart (nginx sends only https; an http request
    # gets a redirect that must never be served to https readers). The
    # built-in vcl_hash adds the URL and Host.
    hash_data(req.http.X-Forwarded-Proto);
}

sub vcl_backend_response {
    if (bereq.uncacheable) {
        return (deliver);
    }
    # Never stored: personal answers and answers that set a cookie. (The
    # built-in rules ignore Cache-Control when Surrogate-Control is there.)
    # Varnish remembers for 2 minutes to send such URLs straight through.
    if (beresp.http.Set-Cookie ||
        beresp.http.Cache-Control ~ "(?i)(private|no-store)") {
        set beresp.ttl = 120s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    # The app's edge lifetime (Surrogate-Control: max-age=14400); without
    # it, Varnish's defaults (Cache-Control s-maxage or max-age, Expires,
    # else default_ttl). A lifetime of 0 is not stored.
    if (beresp.http.Surrogate-Control ~ "(?i)(^|[,;\s])max-age\s*=\s*\d+") {
        set beresp.ttl = std.duration(
            regsub(beresp.http.Surrogate-Control,
                   "(?i)^(.*[,;\s])?max-age\s*=\s*(\d+).*$", "\2") + "s",
            0s);
    }
    # The keys xkey.purge() finds the object by.
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    }
    # Kept 6 hours past the lifetime for when every app server is down
    # (see the grace rule in vcl_recv).
    set beresp.grace = 6h;
    # Then the built-in rules: lifetime 0 or Vary: * is not stored.
}

sub vcl_backend_error {
    # An app server that is down or restarting: a GET tries the next one,
    # before the health probe has noticed.
    if (bereq.retries < 2 && (bereq.method == "GET" || bereq.method == "HEAD")) {
        return (retry);
    }
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
        set resp.http.X-Cache-Hits = obj.hits;
    } else {
        set resp.http.X-Cache = "MISS";
    }
    # The edge lifetime is Varnish's alone and a purge ends it, so the
    # browser's lifetime (Cache-Control max-age, a minute) counts from now,
    # not from when Varnish stored the page.
    if (resp.http.Surrogate-Control) {
        unset resp.http.Age;
    }
    # No Varnish version for readers (Via: 1.1 varnish (Varnish/7.1)), nor
    # its transaction ids; X-Cache says whether the page was kept. (nginx
    # replaces the Server header with its own.)
    unset resp.http.Via;
    unset resp.http.X-Varnish;
    # The keys and edge lifetimes are for caches, not for readers.
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
    unset resp.http.Surrogate-Control;
    unset resp.http.CDN-Cache-Control;
    unset resp.http.Cache-Tag;
}

sub vcl_synth {
    # Varnish's own answers (a refused purge, 503 when no app server is
    # healthy) without its version either.
    unset resp.http.Via;
    unset resp.http.X-Varnish;
    # The answer to a purge: how many objects it removed.
    if (req.method == "PURGE" && resp.status == 200) {
        set resp.http.Content-Type = "text/plain; charset=utf-8";
        set resp.body = req.http.xkey-purged + {"
"};
        return (deliver);
    }
}
