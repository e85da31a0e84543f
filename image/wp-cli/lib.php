<?php
/**
 * The pure functions of the image's WP-CLI commands (platform-command.php): no WordPress, no
 * WP-CLI, no database, so PHPUnit tests them as they are (image/tests/).
 */

/** Why a Job cannot go on; the command reports it as one `Error:` line and exits 1. */
class WP_Platform_Job_Error extends RuntimeException {
}

/** The Jobs, each with the environment variables the program gives it (docs/image.md). */
const WP_PLATFORM_JOB_ENV = array(
	'install'        => array( 'WP_SITE_URL', 'WP_SITE_TITLE' ),
	'activate-theme' => array( 'WP_THEME' ),
	'verify'         => array( 'WP_SITE_URL', 'WP_THEME' ),
	'flush-caches'   => array(),
);
/** The steps of `wp platform install`, each followed by the action wp_platform_checkpoint. */
const WP_PLATFORM_INSTALL_STEPS    = array( 'database', 'schema', 'options', 'roles', 'admin', 'content', 'site', 'finish' );
const WP_PLATFORM_INSTALLED_OPTION = 'wp_platform_installed';
const WP_PLATFORM_CONTENT_OPTION   = 'wp_platform_install_content';
const WP_PLATFORM_THEME_PATTERN    = '/^[a-z0-9][a-z0-9_-]*$/';
const WP_PLATFORM_DEFAULT_DB_WAIT  = 300;
const WP_PLATFORM_PERMALINKS       = '/%postname%/';

/**
 * An environment variable the contract says the Job has.
 *
 * @param callable(string): (string|false)|null $getenv getenv by default
 */
function wp_platform_job_env( string $name, ?callable $getenv = null ): string {
	$value = null === $getenv ? getenv( $name ) : $getenv( $name );
	if ( false === $value || '' === $value ) {
		throw new WP_Platform_Job_Error( "$name is not set" );
	}
	return (string) $value;
}

/**
 * A field of the site's mounted settings file ($site as wp-config.php resolves it: `id` and
 * `settings`) that the Job needs: a non-empty string, else an error naming the site and field.
 */
function wp_platform_setting( array $site, string $name ): string {
	$value = $site['settings'][ $name ] ?? null;
	if ( ! is_string( $value ) || '' === $value ) {
		$id = is_string( $site['id'] ?? null ) ? $site['id'] : '?';
		throw new WP_Platform_Job_Error( "settings of site $id: $name is missing" );
	}
	return $value;
}

/** WP_PLATFORM_DB_WAIT_SECONDS: unset or empty is the default, else a whole number of seconds. */
function wp_platform_wait_seconds( $raw, int $default = WP_PLATFORM_DEFAULT_DB_WAIT ): int {
	if ( false === $raw || null === $raw || '' === $raw ) {
		return $default;
	}
	if ( ! ctype_digit( (string) $raw ) ) {
		throw new WP_Platform_Job_Error( 'WP_PLATFORM_DB_WAIT_SECONDS is not a whole number of seconds' );
	}
	return (int) $raw;
}

/** WP_SITE_URL without its trailing slash; an error unless it is an http(s) URL. */
function wp_platform_site_url( string $url ): string {
	$url = rtrim( $url, '/' );
	if ( ! preg_match( '#^https?://[^/\s]+(/\S*)?$#', $url ) ) {
		throw new WP_Platform_Job_Error( "WP_SITE_URL $url is not an http(s) URL" );
	}
	return $url;
}

function wp_platform_same_url( string $a, string $b ): bool {
	return rtrim( $a, '/' ) === rtrim( $b, '/' );
}

/** A theme slug as a site file may give it; an error otherwise (the slug becomes a path). */
function wp_platform_theme_slug( string $slug ): string {
	if ( ! preg_match( WP_PLATFORM_THEME_PATTERN, $slug ) ) {
		throw new WP_Platform_Job_Error( 'theme ' . json_encode( $slug ) . ' is not a theme slug' );
	}
	return $slug;
}

/** The themes in $root (folders with a style.css), sorted. */
function wp_platform_shipped_themes( string $root ): array {
	$entries = @scandir( $root );
	if ( false === $entries ) {
		return array();
	}
	$themes = array_values( array_filter( $entries, fn( $d ) => '.' !== $d[0] && is_file( "$root/$d/style.css" ) ) );
	sort( $themes );
	return $themes;
}

/** Why theme $slug is not in the themes folder $root, or null when it is. Never downloads. */
function wp_platform_missing_theme( string $root, string $slug ): ?string {
	if ( is_file( "$root/$slug/style.css" ) ) {
		return null;
	}
	$shipped = wp_platform_shipped_themes( $root );
	return "theme $slug is not in this image (no $root/$slug/style.css); the image ships: " . ( $shipped ? implode( ', ', $shipped ) : 'no theme' );
}

/** One line: whitespace runs (newlines included) become one space. */
function wp_platform_one_line( string $text ): string {
	return preg_replace( '/\s+/', ' ', trim( $text ) );
}
