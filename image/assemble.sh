#!/bin/sh
# assemble.sh <wordpress-core-dir> <themes-src-dir> <dest-dir> [--exclude-theme <slug>]...
#
# Lays out the wp-platform WordPress document root in <dest-dir> (docs/image.md): WordPress core
# from <wordpress-core-dir> without its wp-config.php and wp-content, the image's wp-config.php
# (the bootstrap), healthz.php, wp-content/db.php (the TLS drop-in), wp-content/db-error.php (a
# plain 503 instead of WordPress's database error page), wp-content/object-cache.php (the object
# cache on Redis), wp-content/mu-plugins/ (media and hardening), and wp-content/themes holding
# exactly the themes listed in themes.txt, copied from <themes-src-dir>/<slug>. A listed theme that
# is missing is an error. --exclude-theme leaves a listed theme out, to make a release that lacks it
# (the end-to-end test's second "image").
#
# Files are copied, never linked: PHP resolves __FILE__ through symlinks, and WordPress's ABSPATH
# comes from wp-config.php's own directory, which must be <dest-dir>.
# Used by image/Dockerfile and by `npm run local`.
set -eu

usage() {
    echo "usage: assemble.sh <wordpress-core-dir> <themes-src-dir> <dest-dir> [--exclude-theme <slug>]..." >&2
    exit 2
}
fail() {
    echo "assemble.sh: $*" >&2
    exit 1
}

[ "$#" -ge 3 ] || usage
core=$1
themes_src=$2
dest=$3
shift 3
excluded=" "
while [ "$#" -gt 0 ]; do
    case $1 in
        --exclude-theme)
            [ "$#" -ge 2 ] || usage
            excluded="$excluded$2 "
            shift 2
            ;;
        *) usage ;;
    esac
done

here=$(cd "$(dirname "$0")" && pwd)
[ -f "$core/wp-settings.php" ] && [ -d "$core/wp-includes" ] && [ -d "$core/wp-admin" ] ||
    fail "$core is not a WordPress core folder (no wp-settings.php, wp-includes, wp-admin)"
[ -d "$themes_src" ] || fail "themes folder $themes_src does not exist"

# Check every theme before writing anything.
themes=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/themes.txt" | grep -v '^$' || true)
[ -n "$themes" ] || fail "$here/themes.txt lists no theme"
for slug in $themes; do
    case $slug in
        *[!a-z0-9_-]* | [!a-z0-9]*) fail "themes.txt: $slug is not a theme slug" ;;
    esac
    case $excluded in *" $slug "*) continue ;; esac
    [ -f "$themes_src/$slug/style.css" ] || fail "theme $slug (themes.txt) is not in $themes_src: no $themes_src/$slug/style.css"
done
for slug in $excluded; do
    echo "$themes" | grep -qx "$slug" || fail "--exclude-theme $slug: not in themes.txt"
done

mkdir -p "$dest"
[ -z "$(ls -A "$dest")" ] || fail "$dest is not empty"

# Core, following its symlinks (Debian's .htaccess is one, to /etc), minus what the image owns.
for entry in "$core"/* "$core"/.[!.]*; do
    [ -e "$entry" ] || continue
    name=$(basename "$entry")
    case $name in
        wp-config.php | wp-content | .htaccess | wp-config-sample.php) continue ;;
    esac
    cp -RL "$entry" "$dest/$name"
done

cp "$here/wordpress/wp-config.php" "$dest/wp-config.php"
cp "$here/healthz.php" "$dest/healthz.php"
cp "$here/uploads.php" "$dest/uploads.php"
mkdir -p "$dest/wp-content/themes" "$dest/wp-content/plugins"
cp "$here/wordpress/wp-content/db.php" "$here/wordpress/wp-content/db-error.php" "$here/wordpress/wp-content/object-cache.php" "$dest/wp-content/"
# The image's must-use plugins, loaded for every site: media (wp-platform-media.php and its folder)
# and hardening.php (docs/image.md, "Hardening").
mkdir -p "$dest/wp-content/mu-plugins"
cp -R "$here/wordpress/wp-content/mu-plugins/." "$dest/wp-content/mu-plugins/"
for slug in $themes; do
    case $excluded in *" $slug "*) continue ;; esac
    cp -RL "$themes_src/$slug" "$dest/wp-content/themes/$slug"
done
# WordPress's own guard against listing the folder where a server would list it.
printf '<?php\n// Silence is golden.\n' > "$dest/wp-content/index.php"

echo "assemble.sh: $dest: WordPress $(sed -n "s/^\$wp_version = '\(.*\)';/\1/p" "$dest/wp-includes/version.php"), themes:$(ls "$dest/wp-content/themes" | tr '\n' ' ' | sed 's/^/ /')"
