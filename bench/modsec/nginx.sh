#!/usr/bin/env bash
# nginx + libmodsecurity3 + Debian's OWASP CRS on loopback, for the WAF benchmarks.
#
#   bash bench/modsec/nginx.sh start [--paranoia N] [--port PORT] [--upstream HOST:PORT] [--workers N]
#   bash bench/modsec/nginx.sh stop  [--port PORT]
#
# Defaults: paranoia 1, port 18080, upstream 127.0.0.1:18081, 1 worker. Everything (config, pid,
# logs, temp files) lives in /tmp/assetguard-modsec-<port>/; nothing under /etc is changed.
# Blocked requests get 403 (CRS anomaly scoring, default inbound threshold 5). The demo app's
# methods (PUT, PATCH, DELETE) are allowed, as any deployment of it would configure.
# Needs: apt-get install -y nginx libnginx-mod-http-modsecurity modsecurity-crs
set -euo pipefail

cmd="${1:-}"; shift || true
paranoia=1; port=18080; upstream=127.0.0.1:18081; workers=1
while [ $# -gt 0 ]; do
  case "$1" in
    --paranoia) paranoia="$2"; shift 2;;
    --port) port="$2"; shift 2;;
    --upstream) upstream="$2"; shift 2;;
    --workers) workers="$2"; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
dir="/tmp/assetguard-modsec-${port}"
module=/usr/lib/nginx/modules/ngx_http_modsecurity_module.so

stop() {
  if [ -f "$dir/nginx.pid" ]; then
    pid="$(cat "$dir/nginx.pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$dir/nginx.pid"
  fi
}

case "$cmd" in
  start)
    [ -f "$module" ] || { echo "missing $module: apt-get install -y nginx libnginx-mod-http-modsecurity modsecurity-crs" >&2; exit 1; }
    [ -d /usr/share/modsecurity-crs/rules ] || { echo "missing modsecurity-crs" >&2; exit 1; }
    stop
    mkdir -p "$dir/tmp"
    sed -e 's/^SecRuleEngine .*/SecRuleEngine On/' \
        -e 's/^SecResponseBodyAccess .*/SecResponseBodyAccess Off/' \
        -e 's/^SecAuditEngine .*/SecAuditEngine Off/' \
        /etc/nginx/modsecurity.conf > "$dir/modsecurity.conf"
    cp /etc/nginx/unicode.mapping "$dir/unicode.mapping"
    cat > "$dir/modsec-main.conf" <<CONF
Include $dir/modsecurity.conf
SecAuditEngine Off
SecDebugLogLevel 0
Include /etc/modsecurity/crs/crs-setup.conf
SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=${paranoia}"
SecAction "id:900200,phase:1,nolog,pass,t:none,setvar:'tx.allowed_methods=GET HEAD POST OPTIONS PUT PATCH DELETE'"
Include /usr/share/modsecurity-crs/rules/*.conf
CONF
    cat > "$dir/nginx.conf" <<CONF
load_module $module;
worker_processes ${workers};
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  client_max_body_size 20m;
  large_client_header_buffers 8 64k;
  keepalive_requests 100000;
  upstream assetguard_upstream { server ${upstream}; keepalive 64; }
  server {
    listen 127.0.0.1:${port} default_server;
    server_name _;
    modsecurity on;
    modsecurity_rules_file $dir/modsec-main.conf;
    location / {
      proxy_pass http://assetguard_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
    }
  }
}
CONF
    nginx -c "$dir/nginx.conf" -p "$dir" -e "$dir/error.log"
    for _ in $(seq 1 100); do
      (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null && { echo "nginx+modsecurity PL${paranoia} on 127.0.0.1:${port} -> ${upstream}"; exit 0; }
      sleep 0.1
    done
    echo "nginx did not start; see $dir/error.log" >&2; exit 1
    ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop [--paranoia N] [--port PORT] [--upstream HOST:PORT] [--workers N]" >&2; exit 2 ;;
esac
