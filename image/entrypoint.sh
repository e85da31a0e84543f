#!/bin/bash
# The image's entrypoint: renders the nginx and PHP-FPM configuration from the environment
# (render-config.sh), runs both in the foreground, and exits when either one exits so the kubelet
# restarts the container. SIGTERM (and SIGINT) are passed on as SIGQUIT, which both servers take as
# "finish the requests in flight, then stop".
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
conf_dir=${WP_PLATFORM_CONF_DIR:-${WP_PLATFORM_STATE_DIR:-/tmp/wp-platform}/conf}
fpm_bin=${WP_PLATFORM_PHP_FPM:-$(command -v php-fpm8.2 || command -v php-fpm || echo php-fpm)}

"$here/render-config.sh" "$conf_dir"

root_flag=()
if [ "$(id -u)" = 0 ]; then
    root_flag=(--allow-to-run-as-root)
fi
"$fpm_bin" --nodaemonize --fpm-config "$conf_dir/php-fpm.conf" "${root_flag[@]}" &
fpm=$!
nginx -e stderr -c "$conf_dir/nginx.conf" &
web=$!

stopping=0
stop() {
    stopping=1
    kill -QUIT "$web" "$fpm" 2>/dev/null || true
}
trap stop TERM INT

# wait -n returns when a server exits, or early (status > 128) when a trapped signal arrives.
set +e
wait -n "$fpm" "$web"
status=$?
set -e
if [ "$stopping" = 0 ]; then
    for pid in "$fpm" "$web"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            name=$([ "$pid" = "$fpm" ] && echo php-fpm || echo nginx)
            echo "entrypoint: $name exited with status $status; stopping" >&2
        fi
    done
    stop
    [ "$status" -ne 0 ] || status=1
else
    status=0
fi
wait "$fpm" "$web" 2>/dev/null || true
exit "$status"
