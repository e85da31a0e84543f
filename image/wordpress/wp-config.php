<?php
/**
 * wp-platform bootstrap: the one wp-config.php every site of a color shares (docs/image.md).
 *
 * Web request: the site is the request's Host looked up in the site index
 * ($WP_PLATFORM_SITE_INDEX); unknown host 404, non-canonical host 301, preview host served as
 * itself. CLI (the Jobs): the site is $WP_SITE_ID. Either way its settings come from
 * $WP_PLATFORM_SETTINGS_DIR/<id>.json, a file the kubelet keeps in sync, so adding a site needs
 * no restart and a request makes no network call to find its credentials.
 *
 * WP-CLI (the Jobs: `wp platform ...`) runs this file without its last line, then loads WordPress
 * itself; the platform command waits for the database in between (after_wp_config_load).
 */

const WP_PLATFORM_DEFAULTS = array(
	'WP_PLATFORM_SETTINGS_DIR' => '/etc/wp-platform/settings',
	'WP_PLATFORM_SITE_INDEX'   => '/etc/wp-platform/index/sites.json',
	'WP_PLATFORM_DB_CA'        => '/etc/wp-platform/db-ca.pem',
);

/** A site id, as src/site-rules.ts defines it. */
const WP_PLATFORM_SITE_ID_PATTERN = '/^[a-z](?:[a-z0-9-]{0,22}[a-z0-9])?$/';

/** The salts, as src/settings.ts SALT_NAMES names them (test/image-contract.test.ts). */
const WP_PLATFORM_SALTS = array(
	'AUTH_KEY',
	'SECURE_AUTH_KEY',
	'LOGGED_IN_KEY',
	'NONCE_KEY',
	'AUTH_SALT',
	'SECURE_AUTH_SALT',
	'LOGGED_IN_SALT',
	'NONCE_SALT',
);

/** A failure the bootstrap reports as an HTTP status in a web request and as one line in the CLI. */
class WP_Platform_Error extends RuntimeException {
	/** @var int */
	public $status;
	/** @var int|null seconds, for a 503 that will heal by itself (kubelet sync) */
	public $retry_after;

	public function __construct( string $message, int $status = 500, ?int $retry_after = null ) {
		parent::__construct( $message );
		$this->status      = $status;
		$this->retry_after = $retry_after;
	}
}

function wp_platform_env( string $name ): string {
	$value = getenv( $name );
	if ( false === $value || '' === $value ) {
		return WP_PLATFORM_DEFAULTS[ $name ] ?? '';
	}
	return $value;
}

/**
 * The Host as the contract defines it: lowercased, port and trailing dot removed. Anything that is
 * not a plausible host name or IP literal gives '' (which no index entry matches).
 */
function wp_platform_normalize_host( string $raw ): string {
	$host = strtolower( trim( $raw ) );
	if ( '' === $host ) {
		return '';
	}
	if ( '[' === $host[0] ) {
		// IPv6 literal, with or without a port after the bracket.
		return preg_match( '/^(\[[0-9a-f:.]+\])(?::\d+)?$/', $host, $m ) ? $m[1] : '';
	}
	$host = preg_replace( '/:\d*$/', '', $host );
	$host = rtrim( $host, '.' );
	return preg_match( '/^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$/', $host ) ? $host : '';
}

function wp_platform_read_json( string $path, string $what, int $status_if_missing, ?int $retry_after ): array {
	if ( ! is_file( $path ) ) {
		throw new WP_Platform_Error( "$what $path does not exist", $status_if_missing, $retry_after );
	}
	$text = @file_get_contents( $path );
	if ( false === $text ) {
		throw new WP_Platform_Error( "$what $path is not readable", 500 );
	}
	$data = json_decode( $text, true );
	if ( ! is_array( $data ) ) {
		throw new WP_Platform_Error( "$what $path is not a JSON object: " . json_last_error_msg(), 500 );
	}
	return $data;
}

function wp_platform_check_site_id( string $id, string $where ): string {
	// The program's site ids (src/site-rules.ts: 1 to 24 characters, lowercase letters, digits and
	// hyphens, a letter first, no hyphen last; test/image-contract.test.ts compares the two);
	// checked here too because the id becomes a file name.
	if ( ! preg_match( WP_PLATFORM_SITE_ID_PATTERN, $id ) ) {
		throw new WP_Platform_Error( "$where: site id " . json_encode( $id ) . ' is not a site id', 500 );
	}
	return $id;
}

/** The site's settings file, validated: every field the bootstrap uses must be a non-empty string. */
function wp_platform_load_settings( string $id ): array {
	$path     = rtrim( wp_platform_env( 'WP_PLATFORM_SETTINGS_DIR' ), '/' ) . "/$id.json";
	$settings = wp_platform_read_json( $path, "settings of site $id:", 503, 30 );
	$required = array( 'WORDPRESS_DB_HOST', 'WORDPRESS_DB_NAME', 'WORDPRESS_DB_USER', 'WORDPRESS_DB_PASSWORD', 'WP_SITE_URL' );
	foreach ( WP_PLATFORM_SALTS as $salt ) {
		$required[] = "WORDPRESS_$salt";
	}
	foreach ( $required as $key ) {
		if ( ! isset( $settings[ $key ] ) || ! is_string( $settings[ $key ] ) || '' === $settings[ $key ] ) {
			throw new WP_Platform_Error( "settings $path: $key is missing or not a non-empty string", 500 );
		}
	}
	return $settings;
}

/**
 * Splits WORDPRESS_DB_HOST ("host" or "host:port", IPv6 in brackets) for mysqli. A Unix socket
 * (or "localhost", which mysqli takes as one) is refused: the contract is TLS over TCP.
 *
 * @return array{0: string, 1: int|null}
 */
function wp_platform_parse_db_host( string $spec ): array {
	if ( preg_match( '/^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/', $spec, $m ) ) {
		return array( '[' . $m[1] . ']', isset( $m[2] ) ? (int) $m[2] : null );
	}
	if ( ! preg_match( '/^([A-Za-z0-9_.-]+)(?::(\d+))?$/', $spec, $m ) ) {
		throw new WP_Platform_Error( "WORDPRESS_DB_HOST " . json_encode( $spec ) . ' is not host or host:port (a socket cannot carry TLS)', 500 );
	}
	if ( 'localhost' === strtolower( $m[1] ) ) {
		throw new WP_Platform_Error( 'WORDPRESS_DB_HOST "localhost" makes mysqli use a Unix socket, which has no TLS; use 127.0.0.1 or a host name', 500 );
	}
	return array( $m[1], isset( $m[2] ) ? (int) $m[2] : null );
}

/**
 * Opens $dbh to $db_host over TLS, verifying the server certificate (chain to WP_PLATFORM_DB_CA
 * and host name) before any credential is sent. MYSQLI_CLIENT_SSL makes mysqlnd refuse a server
 * that does not offer TLS instead of falling back to a plain connection.
 *
 * @return string|null null when connected, else why not
 */
function wp_platform_db_connect( mysqli $dbh, string $db_host, string $user, string $password, ?string $dbname, int $client_flags = 0 ): ?string {
	$ca = wp_platform_env( 'WP_PLATFORM_DB_CA' );
	if ( ! is_readable( $ca ) ) {
		return "CA bundle $ca (WP_PLATFORM_DB_CA) is not readable";
	}
	try {
		list( $host, $port ) = wp_platform_parse_db_host( $db_host );
	} catch ( WP_Platform_Error $e ) {
		return $e->getMessage();
	}
	mysqli_report( MYSQLI_REPORT_OFF );
	mysqli_options( $dbh, MYSQLI_OPT_CONNECT_TIMEOUT, 10 );
	mysqli_options( $dbh, MYSQLI_OPT_SSL_VERIFY_SERVER_CERT, true );
	mysqli_ssl_set( $dbh, null, null, $ca, null, null );
	$ok = @mysqli_real_connect( $dbh, $host, $user, $password, $dbname, $port, null, $client_flags | MYSQLI_CLIENT_SSL );
	if ( ! $ok ) {
		$error = mysqli_connect_error();
		$errno = mysqli_connect_errno();
		if ( 2002 === $errno && false !== stripos( (string) $error, 'SSL' ) ) {
			$error .= " (TLS handshake failed: the server's certificate does not chain to $ca or does not name $host)";
		} elseif ( 2006 === $errno ) {
			// mysqlnd drops the connection before logging in when the server offers no TLS.
			$error .= ' (does the server offer TLS?)';
		}
		return 'cannot connect to MySQL at ' . $db_host . ' over TLS: ' . $error;
	}
	return null;
}

/**
 * Whether a pod of color $pod_color serves the host whose site index entry is $entry: only when the
 * entry's color (the color that serves that host: its site's, or the other one for a preview host)
 * is the pod's. A pod with no color, or an entry without one, serves nothing (docs/image.md, "Only
 * its color"): the answer is the unknown host's 404, so a host of the other color looks unknown.
 */
function wp_platform_serves( array $entry, string $pod_color ): bool {
	return '' !== $pod_color && isset( $entry['color'] ) && is_string( $entry['color'] ) && $entry['color'] === $pod_color;
}

/**
 * Whether the Host header (as nginx received it, WP_PLATFORM_HOST_HEADER) names the host the request
 * is served for ($host: nginx's $host, which an absolute-form request line sets). They differ only
 * for `GET http://<one host>/` with `Host: <another>`, which is refused (400): the site is chosen
 * by one host, the one the ingress routed by.
 */
function wp_platform_host_header_agrees( string $host, ?string $header ): bool {
	return null === $header || wp_platform_normalize_host( $header ) === $host;
}

/** Sends a plain-text error response and stops: never WordPress, never another site. */
function wp_platform_respond( int $status, string $body, array $headers = array() ): void {
	http_response_code( $status );
	header( 'Content-Type: text/plain; charset=utf-8' );
	header( 'Cache-Control: no-store' );
	foreach ( $headers as $name => $value ) {
		header( "$name: $value" );
	}
	echo $body, "\n";
	exit;
}

/**
 * The site this request or Job is for, with its settings; defines $_SERVER['HTTPS'], WP_HOME and
 * WP_SITEURL where the request calls for them. Exits with 404/301/503 in a web request.
 */
function wp_platform_resolve_site(): array {
	if ( 'cli' === PHP_SAPI ) {
		$id = getenv( 'WP_SITE_ID' );
		if ( false === $id || '' === $id ) {
			throw new WP_Platform_Error( 'WP_SITE_ID is not set: a Job names its site in WP_SITE_ID' );
		}
		$id       = wp_platform_check_site_id( $id, 'WP_SITE_ID' );
		$settings = wp_platform_load_settings( $id );
		// WordPress reads these as if serving a request; make them the site's own.
		$url = parse_url( $settings['WP_SITE_URL'] );
		if ( ! is_array( $url ) || empty( $url['host'] ) ) {
			throw new WP_Platform_Error( "settings of site $id: WP_SITE_URL is not a URL" );
		}
		$_SERVER['HTTP_HOST']       = $url['host'] . ( isset( $url['port'] ) ? ':' . $url['port'] : '' );
		$_SERVER['SERVER_NAME']     = $url['host'];
		$_SERVER['REQUEST_URI']     = '/';
		$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
		if ( 'https' === ( $url['scheme'] ?? '' ) ) {
			$_SERVER['HTTPS'] = 'on';
		}
		return array(
			'id'       => $id,
			'settings' => $settings,
		);
	}

	// Only the ingress controller reaches the pods, so its X-Forwarded-Proto is trusted;
	// X-Forwarded-Host is never read: the Host header alone picks the site.
	$proto = strtolower( trim( explode( ',', $_SERVER['HTTP_X_FORWARDED_PROTO'] ?? '' )[0] ) );
	if ( 'https' === $proto ) {
		$_SERVER['HTTPS'] = 'on';
	}
	$scheme = ( isset( $_SERVER['HTTPS'] ) && 'off' !== strtolower( (string) $_SERVER['HTTPS'] ) && '' !== $_SERVER['HTTPS'] ) ? 'https' : 'http';

	$host = wp_platform_normalize_host( (string) ( $_SERVER['HTTP_HOST'] ?? '' ) );
	if ( ! wp_platform_host_header_agrees( $host, isset( $_SERVER['WP_PLATFORM_HOST_HEADER'] ) ? (string) $_SERVER['WP_PLATFORM_HOST_HEADER'] : null ) ) {
		wp_platform_respond( 400, 'the request line and the Host header name different hosts' );
	}
	try {
		$index = wp_platform_read_json( wp_platform_env( 'WP_PLATFORM_SITE_INDEX' ), 'site index', 503, 30 );
	} catch ( WP_Platform_Error $e ) {
		error_log( 'wp-platform: ' . $e->getMessage() );
		wp_platform_respond( 503, 'site index unavailable', array( 'Retry-After' => '30' ) );
	}
	$entry = ( '' !== $host && isset( $index['hosts'] ) && is_array( $index['hosts'] ) ) ? ( $index['hosts'][ $host ] ?? null ) : null;
	if ( ! is_array( $entry ) || ! isset( $entry['site'] ) || ! is_string( $entry['site'] ) ) {
		wp_platform_respond( 404, 'unknown host' );
	}
	// Only its color: another color's host is answered as unknown, before any redirect.
	if ( ! wp_platform_serves( $entry, (string) getenv( 'WP_PLATFORM_COLOR' ) ) ) {
		wp_platform_respond( 404, 'unknown host' );
	}
	$id        = wp_platform_check_site_id( $entry['site'], "site index entry $host" );
	$canonical = wp_platform_normalize_host( (string) ( $entry['canonical'] ?? $host ) );
	$preview   = true === ( $entry['preview'] ?? false );

	if ( ! $preview && '' !== $canonical && $canonical !== $host ) {
		$uri = (string) ( $_SERVER['REQUEST_URI'] ?? '/' );
		if ( '' === $uri || '/' !== $uri[0] ) {
			$uri = '/' . $uri;
		}
		wp_platform_respond( 301, 'moved', array( 'Location' => "$scheme://$canonical$uri" ) );
	}

	try {
		$settings = wp_platform_load_settings( $id );
	} catch ( WP_Platform_Error $e ) {
		error_log( 'wp-platform: ' . $e->getMessage() );
		if ( 503 === $e->status ) {
			// A site just added: the kubelet has not synced its settings into this pod yet.
			wp_platform_respond( 503, 'site not ready', array( 'Retry-After' => (string) $e->retry_after ) );
		}
		wp_platform_respond( 500, 'site misconfigured' );
	}

	if ( $preview ) {
		// Served as itself: its own URL in every link, no bounce to the live host.
		define( 'WP_HOME', "$scheme://$host" );
		define( 'WP_SITEURL', "$scheme://$host" );
	}
	// Whose page this is, on every WordPress response of the site: the verify Job's GET fails on a
	// page of another site (a Host mapped wrong), whatever the theme prints.
	header( "X-WP-Platform-Site: $id" );
	return array(
		'id'       => $id,
		'settings' => $settings,
	);
}

try {
	$wp_platform_site = wp_platform_resolve_site();
} catch ( WP_Platform_Error $e ) {
	if ( 'cli' === PHP_SAPI ) {
		if ( class_exists( 'WP_CLI', false ) ) {
			WP_CLI::error( $e->getMessage() );
		}
		throw $e;
	}
	error_log( 'wp-platform: ' . $e->getMessage() );
	wp_platform_respond( $e->status, 503 === $e->status ? 'site not ready' : 'site misconfigured' );
}

define( 'WP_PLATFORM_SITE_ID', $wp_platform_site['id'] );
define( 'WP_PLATFORM_DB_CA', wp_platform_env( 'WP_PLATFORM_DB_CA' ) );
define( 'DB_NAME', $wp_platform_site['settings']['WORDPRESS_DB_NAME'] );
define( 'DB_USER', $wp_platform_site['settings']['WORDPRESS_DB_USER'] );
define( 'DB_PASSWORD', $wp_platform_site['settings']['WORDPRESS_DB_PASSWORD'] );
define( 'DB_HOST', $wp_platform_site['settings']['WORDPRESS_DB_HOST'] );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
foreach ( WP_PLATFORM_SALTS as $wp_platform_salt ) {
	define( $wp_platform_salt, $wp_platform_site['settings'][ "WORDPRESS_$wp_platform_salt" ] );
}
unset( $wp_platform_salt );
// The object cache (wp-content/object-cache.php), when the stack has one: the site's Redis host,
// port, AUTH token and key prefix (`<id>:`) from its settings, and the CA bundle to verify the
// server with ($WP_PLATFORM_CACHE_CA; empty: the system trust store, as for ElastiCache).
foreach ( array( 'WP_REDIS_HOST', 'WP_REDIS_PORT', 'WP_REDIS_PASSWORD', 'WP_REDIS_PREFIX' ) as $wp_platform_redis ) {
	if ( isset( $wp_platform_site['settings'][ $wp_platform_redis ] ) && is_string( $wp_platform_site['settings'][ $wp_platform_redis ] ) && '' !== $wp_platform_site['settings'][ $wp_platform_redis ] ) {
		define( $wp_platform_redis, $wp_platform_site['settings'][ $wp_platform_redis ] );
	}
}
unset( $wp_platform_redis );
define( 'WP_REDIS_CA', wp_platform_env( 'WP_PLATFORM_CACHE_CA' ) );

// Each site has its own database, so the default prefix never collides.
$table_prefix = 'wp_';

// Code comes only from the image: no plugin or theme installs, no editor, no self-updates.
define( 'DISALLOW_FILE_MODS', true );
define( 'DISALLOW_FILE_EDIT', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'WP_AUTO_UPDATE_CORE', false );
// Never fall back to ext/mysql (no TLS): db.php is the only way to the database.
define( 'WP_USE_EXT_MYSQL', false );
define( 'WP_DEBUG', '1' === getenv( 'WP_PLATFORM_DEBUG' ) );

if ( 'cli' !== PHP_SAPI ) {
	// A known site whose install Job has not finished answers 503, never WordPress's installer
	// nor a half-populated site. Hooks set before WordPress loads (WP_Hook::
	// build_preinitialized_hooks): wp_not_installed() redirects to install.php through
	// wp_redirect(); the marker option is autoloaded, so checking it costs no query once installed.
	$wp_platform_not_installed = function () {
		wp_platform_respond( 503, 'site not installed', array( 'Retry-After' => '30' ) );
	};
	$GLOBALS['wp_filter']['wp_redirect'][1][]      = array(
		'function'      => function ( $location ) use ( $wp_platform_not_installed ) {
			if ( '/wp-admin/install.php' === parse_url( (string) $location, PHP_URL_PATH ) ) {
				$wp_platform_not_installed();
			}
			return $location;
		},
		'accepted_args' => 1,
	);
	$GLOBALS['wp_filter']['muplugins_loaded'][1][] = array(
		'function'      => function () use ( $wp_platform_not_installed ) {
			if ( false === get_option( 'wp_platform_installed' ) ) {
				$wp_platform_not_installed();
			}
		},
		'accepted_args' => 0,
	);
	unset( $wp_platform_not_installed );
} else {
	// A Job never calls out: no HTTP beyond the site itself.
	define( 'WP_HTTP_BLOCK_EXTERNAL', true );
}
// No request runs WP-Cron (nor spawns wp-cron.php): the cron runner runs the due events with
// `wp cron event run --due-now`.
define( 'DISABLE_WP_CRON', true );

// Media (wp-content/mu-plugins/wp-platform-media.php, uploads.php): the site's own bucket and
// prefix, from its settings file only; its files' URLs on its own canonical host.
if ( isset( $wp_platform_site['settings']['WP_S3_BUCKET'], $wp_platform_site['settings']['WP_S3_PREFIX'] ) ) {
	define( 'WP_PLATFORM_S3_BUCKET', (string) $wp_platform_site['settings']['WP_S3_BUCKET'] );
	define( 'WP_PLATFORM_S3_PREFIX', (string) $wp_platform_site['settings']['WP_S3_PREFIX'] );
	define( 'WP_PLATFORM_MEDIA_URL', rtrim( $wp_platform_site['settings']['WP_SITE_URL'], '/' ) . '/wp-content/uploads' );
}
// No user, administrators included, posts scripts or raw HTML.
define( 'DISALLOW_UNFILTERED_HTML', true );
if ( defined( 'WP_PLATFORM_BOOTSTRAP_ONLY' ) ) {
	// uploads.php: the site and its settings, without WordPress.
	return;
}

if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}

require_once ABSPATH . 'wp-settings.php';
