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
	'upgrade-db'     => array( 'WP_PLATFORM_BACKUP_URL' ),
);
/** The header wp-config.php puts on every response of a site: its id (verify's "whose page"). */
const WP_PLATFORM_SITE_HEADER = 'X-WP-Platform-Site';
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

/**
 * verify's GET of the site's home through its color's Service: the Service's URL with the path of
 * WP_SITE_URL, the site's host as Host, and its scheme as X-Forwarded-Proto (as the ingress sends).
 *
 * @return array{url: string, host: string, proto: string}
 */
function wp_platform_home_request( string $service_url, string $site_url ): array {
	$service = rtrim( $service_url, '/' );
	if ( ! preg_match( '~^https?://[^/\s?#]+$~', $service ) ) {
		throw new WP_Platform_Job_Error( "WP_PLATFORM_SERVICE_URL $service_url is not http(s)://<host>[:port]" );
	}
	$site = parse_url( wp_platform_site_url( $site_url ) );
	return array(
		'url'   => $service . ( $site['path'] ?? '' ) . '/',
		'host'  => $site['host'] . ( isset( $site['port'] ) ? ':' . $site['port'] : '' ),
		'proto' => $site['scheme'],
	);
}

/**
 * The site index verify's own web server reads: the site's canonical host alone, served by the
 * Job's color, so the request goes through the bootstrap exactly as a pod's does.
 */
function wp_platform_verify_index( string $site_id, string $site_url, string $color ): string {
	$host = (string) parse_url( $site_url, PHP_URL_HOST );
	return json_encode(
		array( 'hosts' => array( $host => array( 'site' => $site_id, 'secret' => '', 'canonical' => $host, 'color' => $color ) ) ),
		JSON_UNESCAPED_SLASHES
	);
}

/** Texts a page holds only when PHP died in it (WordPress's fatal error handler, display_errors). */
const WP_PLATFORM_FATAL_MARKERS = array( 'There has been a critical error on this website', '<b>Fatal error</b>:', 'PHP Fatal error:' );

/**
 * Why the home page of site $site_id as a visitor gets it is not the site working, or null: not a
 * 200 (a 5xx above all), not this site's page (the site id wp-config.php sends in
 * X-WP-Platform-Site: another site's, or none when WordPress did not answer), a PHP fatal error in
 * it, or an empty body. $headers: lowercased names.
 */
function wp_platform_page_problem( int $status, array $headers, string $body, string $site_id ): ?string {
	if ( $status >= 500 ) {
		return "answered $status (a server error)";
	}
	if ( 200 !== $status ) {
		return "answered $status, not 200" . ( isset( $headers['location'] ) ? " (Location: {$headers['location']})" : '' );
	}
	$served = $headers[ strtolower( WP_PLATFORM_SITE_HEADER ) ] ?? null;
	if ( null === $served || '' === $served ) {
		return 'has no ' . WP_PLATFORM_SITE_HEADER . ' header: not a page of this image\'s WordPress';
	}
	if ( $served !== $site_id ) {
		return "is the page of site $served, not $site_id (its host is mapped to another site)";
	}
	foreach ( WP_PLATFORM_FATAL_MARKERS as $marker ) {
		if ( false !== strpos( $body, $marker ) ) {
			return 'has a PHP fatal error in it (' . json_encode( $marker ) . ')';
		}
	}
	if ( '' === trim( $body ) ) {
		return 'has an empty body';
	}
	return null;
}

/**
 * What upgrade-db does for a database at db version $stored under a core of $core: `current`
 * (nothing), `upgrade` (backup, then update-db), or an error for a database newer than the core
 * (WordPress never downgrades a schema: that is a restore, not an upgrade).
 */
function wp_platform_schema_plan( int $stored, int $core ): string {
	if ( $stored === $core ) {
		return 'current';
	}
	if ( $stored < $core ) {
		return 'upgrade';
	}
	throw new WP_Platform_Job_Error( "the database is at db version $stored, newer than this core's $core: an older core cannot run it (WordPress never downgrades a schema); restore the backup taken before the upgrade instead (image/README.md)" );
}

/** `<folder>/<UTC time>-db<old db_version>-wp<core version>.sql.gz` in WP_PLATFORM_BACKUP_URL (a path or a stream URL). */
function wp_platform_backup_name( string $folder, int $time, int $db_version, string $wp_version ): string {
	if ( ! preg_match( '/^[0-9A-Za-z.+-]+$/', $wp_version ) ) {
		throw new WP_Platform_Job_Error( "core version $wp_version is not a version" );
	}
	return rtrim( $folder, '/' ) . '/' . gmdate( 'Ymd\THis\Z', $time ) . "-db$db_version-wp$wp_version.sql.gz";
}

/** MySQL field types written unquoted, and the string types written as hex when binary (charset 63). */
const WP_PLATFORM_NUMERIC_TYPES = array( 1, 2, 3, 4, 5, 8, 9, 13, 0, 246 ); // TINY SHORT LONG FLOAT DOUBLE LONGLONG INT24 YEAR DECIMAL NEWDECIMAL
const WP_PLATFORM_BYTES_TYPES   = array( 16, 249, 250, 251, 252, 253, 254 ); // BIT TINY_BLOB MEDIUM_BLOB LONG_BLOB BLOB VAR_STRING STRING

/**
 * A value of a row as SQL, by its field's type and charset (mysqli's fetch_fields): NULL, a number
 * as it is, bytes in hex, text quoted with $escape (mysqli_real_escape_string: no raw newline, so a
 * row is one line). $escape is given so tests need no connection.
 */
function wp_platform_sql_value( ?string $value, int $type, int $charsetnr, callable $escape ): string {
	if ( null === $value ) {
		return 'NULL';
	}
	if ( in_array( $type, WP_PLATFORM_NUMERIC_TYPES, true ) && is_numeric( $value ) ) {
		return $value;
	}
	if ( 63 === $charsetnr && in_array( $type, WP_PLATFORM_BYTES_TYPES, true ) ) {
		return '' === $value ? "''" : '0x' . bin2hex( $value );
	}
	return "'" . $escape( $value ) . "'";
}

/**
 * Invalidates every cached path of the site's CloudFront distribution tenant (flush-caches, when
 * the stack has an edge): `$client` a CloudFront client of the AWS SDK (credentials from the Job's
 * web identity: its role may invalidate this one tenant). Returns the invalidation's id and status.
 *
 * @param object $client an Aws\CloudFront\CloudFrontClient, or anything with that method
 * @return array{id: string, status: string}
 */
function wp_platform_invalidate_tenant( $client, string $tenant_id, string $site_id, ?int $now = null ): array {
	$result = $client->createInvalidationForDistributionTenant(
		array(
			'Id'                => $tenant_id,
			'InvalidationBatch' => array(
				'Paths'           => array( 'Quantity' => 1, 'Items' => array( '/*' ) ),
				// One a flush: CloudFront takes a repeated reference for a repeated request.
				'CallerReference' => "wp-platform-$site_id-" . ( $now ?? time() ) . '-' . bin2hex( random_bytes( 4 ) ),
			),
		)
	);
	$invalidation = $result['Invalidation'] ?? array();
	return array(
		'id'     => (string) ( $invalidation['Id'] ?? '' ),
		'status' => (string) ( $invalidation['Status'] ?? '' ),
	);
}

