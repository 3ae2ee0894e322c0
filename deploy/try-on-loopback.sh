#!/usr/bin/env bash
# The deployment of docs/deploy.md tried on one machine, on loopback: a throwaway
# PostgreSQL, the demo, gunicorn with gunicorn.conf.py, and the shipped nginx site with a
# self-signed certificate; curl through nginx, then the two access logs are printed.
#
#   scripts/with-postgres.sh deploy/try-on-loopback.sh      (as root; nginx from Debian)
#
# Ports 8443 (HTTPS), 8080 (HTTP) and 8011 (gunicorn) on 127.0.0.1 must be free.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
T=$(mktemp -d /tmp/assessment-deploy.XXXXXX)
mkdir -p $T/nginx/logs
export DATABASE_URL="$TEST_DATABASE_URL"
export ASSESSMENT_TRUSTED_PROXY_COUNT=1 ASSESSMENT_SECRET_KEY=k$(openssl rand -hex 20) ASSESSMENT_ACCESS_CODE_HASH_KEY=k$(openssl rand -hex 20)
.venv/bin/flask --app assessment.app db upgrade 2>&1 | tail -1
.venv/bin/flask --app assessment.app demo seed 2>&1 | tail -1
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" -keyout $T/nginx/key.pem -out $T/nginx/cert.pem 2>/dev/null
# the shipped site, with the test's paths and loopback ports substituted
sed -e "s#listen 443 ssl http2;#listen 127.0.0.1:8443 ssl http2;#; /listen \[::\]/d; s#listen 80;#listen 127.0.0.1:8080;#" \
    -e "s#/etc/ssl/certs/kaohe.example.gov.cn.pem#$T/nginx/cert.pem#; s#/etc/ssl/private/kaohe.example.gov.cn.key#$T/nginx/key.pem#" \
    -e "s#/var/log/nginx/#$T/nginx/logs/#; s#/srv/assessment/static/#$REPO/static/#" \
    -e "s#/etc/nginx/snippets/assessment-proxy.conf#$REPO/deploy/nginx-assessment-proxy.conf#" \
    -e "s#127.0.0.1:8000#127.0.0.1:8011#" deploy/nginx-assessment.conf > $T/nginx/site.conf
cat > $T/nginx/nginx.conf <<CONF
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log;
events {}
http {
  include /etc/nginx/mime.types;
  client_body_temp_path $T/nginx/body; proxy_temp_path $T/nginx/proxy;
  include $T/nginx/site.conf;
}
CONF
nginx -t -c $T/nginx/nginx.conf
nginx -c $T/nginx/nginx.conf
BIND=127.0.0.1:8011 WORKERS=2 .venv/bin/gunicorn --config gunicorn.conf.py > $T/gunicorn.log 2>&1 &
GPID=$!
for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:8011/healthz && break; sleep 0.2; done
echo "--- through nginx"
curl -sk -o /dev/null -w "login %{http_code}\n" https://127.0.0.1:8443/login
curl -sk -w " healthz %{http_code}\n" https://127.0.0.1:8443/healthz
curl -sk -D - -o /dev/null https://127.0.0.1:8443/static/css/app.css | head -1
curl -s -o /dev/null -w "http redirect %{http_code} %{redirect_url}\n" http://127.0.0.1:8080/login
SHORT=$(psql "$TEST_DATABASE_URL" -Atc "select short_id from surveys order by id limit 1")
curl -sk -o /dev/null -w "resident page /s/$SHORT %{http_code}\n" https://127.0.0.1:8443/s/$SHORT
curl -sk -o /dev/null -w "with a query %{http_code}\n" "https://127.0.0.1:8443/p/?receipt=SECRETRECEIPT"
curl -sk -o /dev/null -w "code in a path %{http_code}\n" "https://127.0.0.1:8443/s/$SHORT/ABCD-EFGH-JKLM"
curl -sk -D - -o /dev/null https://127.0.0.1:8443/healthz | grep -i "x-request-id"
sleep 1  # let nginx write its log buffer
echo "--- nginx access log"; cat $T/nginx/logs/assessment.access.log
echo "--- gunicorn log (last lines)"; tail -8 $T/gunicorn.log
echo "--- secrets in logs?"; grep -c "SECRETRECEIPT\|ABCD-EFGH" $T/nginx/logs/assessment.access.log $T/gunicorn.log || true
kill $GPID; nginx -c $T/nginx/nginx.conf -s stop
rm -rf "$T"
