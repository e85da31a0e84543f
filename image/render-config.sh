#!/bin/sh
# render-config.sh <conf-dir>
#
# Fills nginx.conf.template, fastcgi.conf.template and php-fpm.conf.template from the environment
# into <conf-dir>/nginx.conf, fastcgi.conf and php-fpm.conf, and creates the state folders they
# name. Used by entrypoint.sh in the image and by `npm run local` on a workstation, so both run
# the same configuration. Then:
#   php-fpm8.2 --nodaemonize --fpm-config <conf-dir>/php-fpm.conf   (add -R if run as root)
#   nginx -e <error log> -c <conf-dir>/nginx.conf
#
# Environment (default):
#   WP_PLATFORM_PORT            port nginx listens on (8080)
#   WP_PLATFORM_WORDPRESS_DIR   document root made by assemble.sh (/var/www/wordpress)
#   WP_PLATFORM_SETTINGS_DIR    (/etc/wp-platform/settings)      | passed to PHP-FPM's workers,
#   WP_PLATFORM_SITE_INDEX      (/etc/wp-platform/index/sites.json) | which see no other
#   WP_PLATFORM_DB_CA           (/etc/wp-platform/db-ca.pem)     | environment
#   WP_PLATFORM_STACK, WP_PLATFORM_COLOR  passed to the workers too ('')
#   WP_PLATFORM_CACHE_CA        the object cache's CA bundle, passed to the workers ('': the
#                               system trust store, as for ElastiCache)
#   WP_PLATFORM_STATE_DIR       pid files, socket, temp files, log files (/tmp/wp-platform)
#   WP_PLATFORM_FPM_SOCKET      ($WP_PLATFORM_STATE_DIR/run/php-fpm.sock; a socket path has a
#                               limit of about 100 bytes)
#   WP_PLATFORM_TEMP_DIR        nginx's temp files ($WP_PLATFORM_STATE_DIR/tmp)
#   WP_PLATFORM_LOG             stdio: logs to the process's stdout/stderr (containers);
#                               files: to $WP_PLATFORM_STATE_DIR/log/*.log (stdio)
#   WP_PLATFORM_NGINX_MIME_TYPES  (/etc/nginx/mime.types, else the first of a few usual places)
#   WP_PLATFORM_NGINX_WORKERS   (auto)
#   WP_PLATFORM_FPM_MAX_CHILDREN  (8)
#   WP_PLATFORM_LISTEN_ADDRESS  the address nginx listens on ('': every address, as a pod does;
#                               127.0.0.1 for the local fleet)
#   WP_PLATFORM_RUN_AS          the user nginx's and PHP-FPM's workers run as when started as root,
#                               which must not be root (''; the image runs unprivileged)
#   WP_PLATFORM_RUN_AS_GROUP    its group (the user's own)
set -eu

fail() {
    echo "render-config.sh: $*" >&2
    exit 1
}
[ "$#" -eq 1 ] || fail "usage: render-config.sh <conf-dir>"
conf_dir=$1
here=$(cd "$(dirname "$0")" && pwd)

port=${WP_PLATFORM_PORT:-8080}
docroot=${WP_PLATFORM_WORDPRESS_DIR:-/var/www/wordpress}
settings_dir=${WP_PLATFORM_SETTINGS_DIR:-/etc/wp-platform/settings}
site_index=${WP_PLATFORM_SITE_INDEX:-/etc/wp-platform/index/sites.json}
db_ca=${WP_PLATFORM_DB_CA:-/etc/wp-platform/db-ca.pem}
stack=${WP_PLATFORM_STACK:-}
color=${WP_PLATFORM_COLOR:-}
cache_ca=${WP_PLATFORM_CACHE_CA:-}
state=${WP_PLATFORM_STATE_DIR:-/tmp/wp-platform}
socket=${WP_PLATFORM_FPM_SOCKET:-$state/run/php-fpm.sock}
temp=${WP_PLATFORM_TEMP_DIR:-$state/tmp}
log=${WP_PLATFORM_LOG:-stdio}
workers=${WP_PLATFORM_NGINX_WORKERS:-auto}
children=${WP_PLATFORM_FPM_MAX_CHILDREN:-8}
mime=${WP_PLATFORM_NGINX_MIME_TYPES:-}
listen_address=${WP_PLATFORM_LISTEN_ADDRESS:-}
run_as=${WP_PLATFORM_RUN_AS:-}
run_as_group=${WP_PLATFORM_RUN_AS_GROUP:-}
if [ -z "$mime" ]; then
    for m in /etc/nginx/mime.types /opt/homebrew/etc/nginx/mime.types /usr/local/etc/nginx/mime.types; do
        if [ -f "$m" ]; then mime=$m && break; fi
    done
fi
[ -n "$mime" ] && [ -f "$mime" ] || fail "no nginx mime.types found; set WP_PLATFORM_NGINX_MIME_TYPES"

case $port in '' | *[!0-9]*) fail "WP_PLATFORM_PORT=$port is not a port number" ;; esac
[ "$port" -ge 1 ] && [ "$port" -le 65535 ] || fail "WP_PLATFORM_PORT=$port is not a port number"
case $children in '' | *[!0-9]*) fail "WP_PLATFORM_FPM_MAX_CHILDREN=$children is not a number" ;; esac
case $workers in auto | [1-9] | [1-9][0-9]) ;; *) fail "WP_PLATFORM_NGINX_WORKERS=$workers is not auto or a number" ;; esac
case $log in stdio | files) ;; *) fail "WP_PLATFORM_LOG=$log is not stdio or files" ;; esac

# Every value lands inside quotes in a config file: refuse what would break out of them.
for pair in "WP_PLATFORM_WORDPRESS_DIR=$docroot" "WP_PLATFORM_SETTINGS_DIR=$settings_dir" \
    "WP_PLATFORM_SITE_INDEX=$site_index" "WP_PLATFORM_DB_CA=$db_ca" "WP_PLATFORM_STATE_DIR=$state" \
    "WP_PLATFORM_FPM_SOCKET=$socket" "WP_PLATFORM_TEMP_DIR=$temp" "WP_PLATFORM_NGINX_MIME_TYPES=$mime" "conf dir=$conf_dir" \
    ${cache_ca:+"WP_PLATFORM_CACHE_CA=$cache_ca"}; do
    value=${pair#*=}
    case $value in
        /*) ;;
        *) fail "${pair%%=*} ($value) must be an absolute path" ;;
    esac
    case $value in
        *[\"\'\\\;\{\}\$\|\&@\ ]* | *"
"*) fail "${pair%%=*} ($value) has a character the config files cannot hold (quotes, \\ ; { } \$ | & @ or space)" ;;
    esac
done
case $listen_address in '' | *[!0-9.]*) [ -z "$listen_address" ] || fail "WP_PLATFORM_LISTEN_ADDRESS=$listen_address is not an IPv4 address" ;; esac
listen=${listen_address:+$listen_address:}$port
if [ -n "$run_as" ]; then
    [ "$run_as" != root ] && [ "$(id -u "$run_as" 2>/dev/null)" != 0 ] || fail "WP_PLATFORM_RUN_AS=$run_as: the workers never run as root"
    run_as_group=${run_as_group:-$(id -gn "$run_as")} || fail "WP_PLATFORM_RUN_AS=$run_as is not a user"
fi
for pair in "WP_PLATFORM_STACK=$stack" "WP_PLATFORM_COLOR=$color" "WP_PLATFORM_RUN_AS=$run_as" "WP_PLATFORM_RUN_AS_GROUP=$run_as_group"; do
    case ${pair#*=} in *[!A-Za-z0-9_.-]*) fail "${pair%%=*}=${pair#*=} is not a name" ;; esac
done
[ "${#socket}" -le 100 ] || fail "WP_PLATFORM_FPM_SOCKET $socket is longer than a Unix socket path may be; set a shorter one"

mkdir -p "$conf_dir" "$state/run" "$temp/client_body" "$temp/fastcgi" "$temp/proxy" \
    "$temp/uwsgi" "$temp/scgi"
# nginx's workers write request bodies there.
if [ -n "$run_as" ] && [ "$(id -u)" = 0 ]; then chown -R "$run_as:$run_as_group" "$temp"; fi
if [ "$log" = files ]; then
    mkdir -p "$state/log"
    nginx_error_log="\"$state/log/nginx-error.log\""
    nginx_access_log="\"$state/log/nginx-access.log\""
    fpm_error_log="$state/log/php-fpm.log"
else
    nginx_error_log=stderr
    nginx_access_log=/dev/stdout
    fpm_error_log=/proc/self/fd/2
fi

render() {
    sed -e "s|@LISTEN@|$listen|g" \
        -e "s|@PORT@|$port|g" \
        -e "s|@RUN_AS@|$run_as|g" \
        -e "s|@RUN_AS_GROUP@|$run_as_group|g" \
        -e "s|@DOCROOT@|$docroot|g" \
        -e "s|@CONF_DIR@|$conf_dir|g" \
        -e "s|@SETTINGS_DIR@|$settings_dir|g" \
        -e "s|@SITE_INDEX@|$site_index|g" \
        -e "s|@DB_CA@|$db_ca|g" \
        -e "s|@CACHE_CA@|$cache_ca|g" \
        -e "s|@STACK@|$stack|g" \
        -e "s|@COLOR@|$color|g" \
        -e "s|@TEMP_DIR@|$temp|g" \
        -e "s|@NGINX_PID@|$state/run/nginx.pid|g" \
        -e "s|@FPM_PID@|$state/run/php-fpm.pid|g" \
        -e "s|@FPM_SOCKET@|$socket|g" \
        -e "s|@NGINX_ERROR_LOG@|$nginx_error_log|g" \
        -e "s|@NGINX_ACCESS_LOG@|$nginx_access_log|g" \
        -e "s|@FPM_ERROR_LOG@|$fpm_error_log|g" \
        -e "s|@MIME_TYPES@|$mime|g" \
        -e "s|@NGINX_WORKERS@|$workers|g" \
        -e "s|@FPM_MAX_CHILDREN@|$children|g" \
        -e '/^env\[[A-Z_]*\] = ""$/d' \
        -e '/^user  *;$/d' -e '/^[a-z.]* = $/d' \
        "$here/$1.template" >"$conf_dir/$1.tmp"
    if grep -n '@[A-Z_]*@' "$conf_dir/$1.tmp" >&2; then fail "$1: placeholder left unfilled (above)"; fi
    mv "$conf_dir/$1.tmp" "$conf_dir/$1"
}
render nginx.conf
render fastcgi.conf
render php-fpm.conf
echo "render-config.sh: $conf_dir/nginx.conf (port $port, root $docroot), $conf_dir/php-fpm.conf (socket $socket)"
